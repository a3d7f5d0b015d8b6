/**
 * Size and count limits of the wire protocol (memberlist-wire.md §4.1, §10.10, §13). They bound what a
 * peer can make us allocate; the values are the ones the latest Go memberlist enforces.
 */

/** Largest node metadata we send (Go panics locally above it; it is not checked on receive). */
export const MetaMaxSize = 512;

/** Largest push/pull user state, stream user message, and encrypted stream payload: 20 MiB. */
export const maxPushStateBytes = 20 * 1024 * 1024;

/** Largest node count accepted in a push/pull header. */
export const maxPushStateNodes = 1024 * 1024;

/** Largest decompressed LZW output accepted (2 × 20 MiB, as Go). */
export const maxDecompressedBytes = 40 * 1024 * 1024;

/**
 * Most parts we put in one compound message. The count byte allows 255, but memberlist 0.2.2 doubles the
 * count in a uint8 and mis-splits 128 or more; we still decode up to 255.
 */
export const maxCompoundParts = 127;

/** Largest label (one length byte). */
export const LabelMaxSize = 255;

/** How deep unknown msgpack values (maps in arrays in maps…) may nest before we refuse them. */
export const maxMsgpackDepth = 32;

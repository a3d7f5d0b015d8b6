/**
 * The wire layer of @shoal/memberlist: every byte a memberlist node sends or accepts, as pure functions.
 * See memberlist-wire.md for the protocol.
 */
export * from "./address.ts";
export * from "./bytes.ts";
export * from "./codec.ts";
export * from "./compound.ts";
export * from "./compress.ts";
export * from "./crc.ts";
export * from "./keyring.ts";
export * from "./label.ts";
export * from "./limits.ts";
export * from "./lzw.ts";
export * from "./messages.ts";
export * from "./msgpack.ts";
export * from "./packet.ts";
export * from "./schema.ts";
export * from "./security.ts";
export * from "./stream.ts";
export * from "./structs.ts";

/**
 * The JSON shapes exchanged with `shoal-interop` (interop/go/cmd/shoal-interop). Field maps use Shoal's
 * camelCase property names; byte fields are lowercase hex, and Go's nil bytes are `null`.
 */

/** A message body (or node state, or push/pull) in JSON form. */
export type JsonFields = Record<string, unknown>;

/** The framing a vector or check exercises. */
export type VectorKind =
  | "message"
  | "push-pull"
  | "user-stream"
  | "compound"
  | "compound-decode"
  | "compress"
  | "lzw"
  | "crc"
  | "encrypt"
  | "packet"
  | "stream"
  | "keyring"
  | "decode";

/** One Go-produced test vector. Which optional members are present depends on `kind`. */
export interface GoVector {
  name: string;
  kind: VectorKind;
  /** Message type name (`ping`, `indirect-ping`, `ack`, ...) for kind "message"; for kind "decode",
   *  what the bytes are decoded as: "message" or "push-pull". */
  type?: string;
  fields?: JsonFields;
  /** The message a wrapper was applied to (compress, packet, stream), hex. */
  inner?: string;
  /** Compound parts, hex. */
  parts?: string[];
  /** Raw LZW input, hex. */
  data?: string;
  compress?: boolean;
  crc?: boolean;
  /** Sender's keys, primary first, hex. */
  keys?: string[];
  /** Receiver's keys when they differ from the sender's. */
  receiverKeys?: string[];
  encryptionVersion?: 0 | 1;
  /** GCM additional data, hex. */
  ad?: string;
  plaintext?: string;
  /** What Go's decoder makes of `hex`, where that is more than `fields`. */
  decoded?: unknown;
  hex: string;
  /** Go's encoding of the same input with nil and empty bytes swapped; memberlist treats both alike. */
  altHex?: string;
  /** Kind "decode": malformed input Go refuses; a port must refuse it too. */
  mustReject?: boolean;
  /** False when Go drew a random nonce: decrypt rather than compare bytes. */
  deterministic: boolean;
}

/** The output of `shoal-interop vectors`. */
export interface GoVectorFile {
  generator: string;
  vectors: GoVector[];
}

/**
 * One request line for `shoal-interop check`: Go decodes `hex` as `kind`; or, for the encode-* kinds,
 * Go encodes `fields` (a message of `type`, or a push/pull through its real sendLocalState), or wraps
 * `hex` through its real packet/stream send path, and answers `{hex}`. JSON null bytes become Go nil
 * slices, "" empty ones.
 */
export interface CheckRequest {
  id?: string | number;
  kind:
    | Exclude<VectorKind, "compound-decode" | "keyring" | "decode">
    | "encode-message"
    | "encode-push-pull"
    | "encode-packet"
    | "encode-stream";
  hex?: string;
  type?: string;
  fields?: JsonFields;
  /** Receiver keys, primary first, hex (encrypt, packet, stream). */
  keys?: string[];
  /** Shorthand for one receiver key, hex (tried before `keys`). */
  key?: string;
  /** GCM additional data, hex (encrypt). */
  ad?: string;
  /** Default true (packet, stream). */
  verifyIncoming?: boolean;
  /**
   * The Go codec's protocol version (default 5). Decoding: below 2 Go rewrites push/pull ports.
   * encode-packet / encode-stream: 1 makes Go encrypt with version 0.
   */
  protocolVersion?: number;
  /** encode-packet / encode-stream: EnableCompression. */
  compress?: boolean;
  /** encode-packet: the destination advertises PMax 5, so Go adds the CRC. */
  crc?: boolean;
}

/** One answer line from `shoal-interop check`: Go's decoding, or its error. */
export interface CheckResponse {
  id?: string | number | null;
  ok: boolean;
  fields?: JsonFields;
  error?: string;
}

/** Go's codec speed per case, from `shoal-interop bench`. */
export type GoBenchResult = Record<string, { encodePerSec: number; decodePerSec: number }>;

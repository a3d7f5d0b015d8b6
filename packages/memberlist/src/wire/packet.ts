/**
 * The UDP packet pipeline (memberlist-wire.md §2.1, §2.2): what the engine calls for every datagram it
 * sends or receives, and the recursive expansion of compound and compressed messages (§4.6).
 */
import { randomFillSync } from "node:crypto";
import { DecodeError, LimitError, SecurityError } from "../errors.ts";
import { decodeCompound } from "./compound.ts";
import { compressMessage, decompressMessage } from "./compress.ts";
import { addCrc, stripCrc } from "./crc.ts";
import { addLabelHeader, labelBytes, removeLabelHeader } from "./label.ts";
import { maxDecompressedBytes } from "./limits.ts";
import { MessageType } from "./messages.ts";
import { decryptPayload, type EncryptionVersion, encryptPayload, nonceSize } from "./security.ts";

/** How to wrap an outgoing packet. */
export interface PacketEncodeOptions {
  /** Compress, keeping the result only if strictly smaller. */
  compress: boolean;
  /** Add the CRC wrapper (destination's PMax ≥ 5). */
  crc: boolean;
  /** The primary key, or null for no encryption. */
  key: Uint8Array | null;
  encryptionVersion: EncryptionVersion;
  /** "" for none; otherwise prefixed and used as the GCM additional data. */
  label: string;
  /** A 12-byte nonce; drawn from node:crypto when absent. */
  nonce?: Uint8Array;
}

/** Wraps a message (or compound): compress → CRC → encrypt (AD = label) → label header. */
export function encodePacket(msg: Uint8Array, opts: PacketEncodeOptions): Uint8Array {
  let buf = msg;
  if (opts.compress) {
    const c = compressMessage(buf);
    if (c.length < buf.length) buf = c;
  }
  if (opts.crc) buf = addCrc(buf);
  if (opts.key) {
    const nonce = opts.nonce ?? randomFillSync(new Uint8Array(nonceSize));
    buf = encryptPayload(opts.encryptionVersion, opts.key, buf, labelBytes(opts.label), nonce);
  }
  return addLabelHeader(buf, opts.label);
}

/** How to unwrap an incoming packet. */
export interface PacketDecodeOptions {
  /** The configured label ("" for none). */
  label: string;
  /** Migration aid: inbound packets must carry no label header; the configured label is still the AD. */
  skipInboundLabelCheck?: boolean;
  /** Installed keys, primary first; empty means encryption is off. */
  keys: readonly Uint8Array[];
  /** When false, a packet no key decrypts is taken as plaintext. */
  verifyIncoming: boolean;
}

/**
 * Unwraps a received datagram down to the plaintext message `[type][body]` (possibly a compound or a
 * compressed message): label check → decrypt → CRC check. SecurityError for a wrong label or a packet
 * that must be encrypted and is not; DecodeError for malformed framing or a CRC mismatch.
 */
export function decodePacket(buf: Uint8Array, opts: PacketDecodeOptions): Uint8Array {
  const { label, rest } = removeLabelHeader(buf);
  if (opts.skipInboundLabelCheck) {
    if (buf[0] === MessageType.HasLabel) throw new SecurityError("unexpected label header on inbound packet");
  } else if (label !== opts.label) {
    throw new SecurityError(`packet label "${label}" does not match "${opts.label}"`);
  }
  let plain = rest;
  if (opts.keys.length > 0) {
    try {
      plain = decryptPayload(opts.keys, rest, labelBytes(opts.label));
    } catch (err) {
      if (opts.verifyIncoming || !(err instanceof SecurityError)) throw err;
    }
  }
  if (plain.length === 0) throw new DecodeError("empty message");
  if (plain[0] === MessageType.HasCrc) return stripCrc(plain);
  return plain;
}

/** Bounds for {@link flattenMessage}. */
export interface FlattenLimits {
  /** How many compound/compress layers may nest (default 4). */
  maxDepth?: number;
  /**
   * Total decompressed bytes across all layers (default 40 MiB, Go's bound). Past it the whole message
   * is refused with a LimitError, at any depth: decompression stops at the bound, so it costs little.
   */
  maxDecompressedBytes?: number;
  /** Most leaf messages returned; the rest are dropped (default 4096). */
  maxMessages?: number;
}

/**
 * Expands compound and compressed messages (recursively) into leaf messages `[type][body]`, in order.
 * Only a malformed top-level message throws (DecodeError). Nested trouble — a bad part, a part too deep,
 * an empty part, or a nested CRC wrapper (Go only honours CRC at the top) — drops just that part, and
 * truncated compound parts are dropped as Go does. Leaves are views into `msg` or into decompressed data.
 * A message that decompresses past the bound is refused whole (LimitError), wherever the bomb sits.
 */
export function flattenMessage(msg: Uint8Array, limits: FlattenLimits = {}): Uint8Array[] {
  const maxDepth = limits.maxDepth ?? 4;
  const maxMessages = limits.maxMessages ?? 4096;
  const limit = limits.maxDecompressedBytes ?? maxDecompressedBytes;
  const budget = { bytes: limit };
  const out: Uint8Array[] = [];
  if (msg.length === 0) throw new DecodeError("empty message");
  try {
    expand(msg, 0, out, maxDepth, maxMessages, budget);
  } catch (err) {
    // Reported against the whole message's bound, not the part of it a nested layer had left.
    if (err instanceof LimitError) throw new LimitError(`message decompresses past ${limit} bytes`, limit);
    throw err;
  }
  return out;
}

function expand(
  msg: Uint8Array,
  depth: number,
  out: Uint8Array[],
  maxDepth: number,
  maxMessages: number,
  budget: { bytes: number },
): void {
  const top = depth === 0;
  if (msg.length === 0 || out.length >= maxMessages) return;
  const type = msg[0]!;
  if (type === MessageType.HasCrc) {
    if (top) throw new DecodeError("CRC wrapper must be removed before flattening");
    return;
  }
  if (type !== MessageType.Compound && type !== MessageType.Compress) {
    out.push(msg);
    return;
  }
  if (depth >= maxDepth) {
    if (top) throw new DecodeError("message nesting too deep");
    return;
  }
  try {
    if (type === MessageType.Compound) {
      const { parts } = decodeCompound(msg.subarray(1));
      for (const part of parts) expand(part, depth + 1, out, maxDepth, maxMessages, budget);
    } else {
      const inner = decompressMessage(msg.subarray(1), budget.bytes);
      budget.bytes -= inner.length;
      expand(inner, depth + 1, out, maxDepth, maxMessages, budget);
    }
  } catch (err) {
    if (top || !(err instanceof DecodeError) || err instanceof LimitError) throw err;
  }
}

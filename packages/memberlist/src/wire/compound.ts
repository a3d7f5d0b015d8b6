/**
 * Compound messages (memberlist-wire.md §4.2): `[7][count][u16 BE length × count][parts…]`.
 */
import { DecodeError, EncodeError } from "../errors.ts";
import { allocBytes } from "./bytes.ts";
import { maxCompoundParts } from "./limits.ts";
import { MessageType } from "./messages.ts";

/** Bytes a compound adds around its parts: the type and count bytes. */
export const compoundHeaderOverhead = 2;
/** Bytes a compound adds per part: its u16 length. */
export const compoundOverhead = 2;

/** Wraps 1..255 complete messages into one compound message. */
export function encodeCompound(parts: Uint8Array[]): Uint8Array {
  const n = parts.length;
  if (n < 1 || n > 255) throw new EncodeError(`a compound message holds 1..255 parts, not ${n}`);
  let size = 2 + 2 * n;
  for (const p of parts) {
    if (p.length > 0xffff) throw new EncodeError(`compound part of ${p.length} bytes exceeds 65535`);
    size += p.length;
  }
  const out = allocBytes(size);
  out[0] = MessageType.Compound;
  out[1] = n;
  let off = 2;
  for (const p of parts) {
    out[off++] = p.length >>> 8;
    out[off++] = p.length & 0xff;
  }
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Packs messages into as few compounds as needed, at most `maxParts` parts each (127 by default, the most
 * memberlist 0.2.2 decodes correctly). A lone message, or a lone leftover, is returned unwrapped.
 */
export function makeCompounds(parts: Uint8Array[], maxParts = maxCompoundParts): Uint8Array[] {
  if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > 255) {
    throw new EncodeError(`maxParts must be in 1..255, not ${maxParts}`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i += maxParts) {
    const chunk = parts.slice(i, i + maxParts);
    out.push(chunk.length === 1 ? chunk[0]! : encodeCompound(chunk));
  }
  return out;
}

/**
 * Splits a compound body (the bytes after the type byte). Parts that the data does not fully contain are
 * counted in `truncated` and dropped; earlier parts are kept; trailing bytes are ignored. Parts are views.
 */
export function decodeCompound(body: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (body.length < 1) throw new DecodeError("missing compound length byte");
  const n = body[0]!;
  if (body.length < 1 + 2 * n) throw new DecodeError("truncated compound length slice");
  const parts: Uint8Array[] = [];
  let off = 1 + 2 * n;
  for (let i = 0; i < n; i++) {
    const len = (body[1 + 2 * i]! << 8) | body[2 + 2 * i]!;
    if (body.length - off < len) return { parts, truncated: n - i };
    parts.push(body.subarray(off, off + len));
    off += len;
  }
  return { parts, truncated: 0 };
}

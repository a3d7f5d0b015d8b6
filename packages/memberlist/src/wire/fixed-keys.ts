/**
 * Helpers for the hand-written codecs of the hottest structs (alive messages, push/pull node states):
 * go-msgpack writes a struct as a map with its keys in sorted order, so a decoder can match Go's
 * layout key by key and fall back to the general decoder on the first difference.
 */
import type { MsgpackReader } from "./msgpack.ts";

/** A Go field name as go-msgpack writes it: a fixstr header and the ASCII name. */
export function fixedKey(name: string): Uint8Array {
  return Uint8Array.of(0xa0 | name.length, ...Array.from(name, (c) => c.charCodeAt(0)));
}

/** Consumes `key` if the reader is at exactly those bytes. */
export function takeKey(r: MsgpackReader, key: Uint8Array): boolean {
  const buf = r.buf;
  const p = r.pos;
  const n = key.length;
  if (r.end - p < n) return false;
  for (let i = 0; i < n; i++) if (buf[p + i] !== key[i]) return false;
  r.pos = p + n;
  return true;
}

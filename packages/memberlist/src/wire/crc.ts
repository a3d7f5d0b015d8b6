/**
 * The CRC wrapper of protocol version 5 (memberlist-wire.md §4.3): `[12][CRC-32 IEEE, BE][payload]`.
 */
import { DecodeError } from "../errors.ts";
import { allocBytes } from "./bytes.ts";
import { MessageType } from "./messages.ts";

/** The reflected CRC-32 table for polynomial 0xEDB88320 (zlib, Go's crc32.IEEE). */
const crcTable = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE) of `data`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Prefixes `[12][crc32(msg) BE]`. */
export function addCrc(msg: Uint8Array): Uint8Array {
  const out = allocBytes(msg.length + 5);
  const c = crc32(msg);
  out[0] = MessageType.HasCrc;
  out[1] = c >>> 24;
  out[2] = c >>> 16;
  out[3] = c >>> 8;
  out[4] = c;
  out.set(msg, 5);
  return out;
}

/** Verifies and removes the CRC wrapper; `buf` must start with type 12. Returns a view of the payload. */
export function stripCrc(buf: Uint8Array): Uint8Array {
  if (buf.length < 5 || buf[0] !== MessageType.HasCrc) throw new DecodeError("truncated CRC header");
  const want = (buf[1]! * 0x100_0000 + ((buf[2]! << 16) | (buf[3]! << 8) | buf[4]!)) >>> 0;
  const payload = buf.subarray(5);
  if (crc32(payload) !== want) throw new DecodeError("CRC mismatch");
  return payload;
}

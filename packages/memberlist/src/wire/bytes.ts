/**
 * Byte-level helpers shared by the codecs: a growable output buffer, and UTF-8 conversion with an ASCII
 * fast path (node names and keys are short ASCII; TextEncoder/TextDecoder cost more than a loop there).
 */

import { Buffer } from "node:buffer";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8");

/** Below this many bytes a plain loop beats TextDecoder for ASCII (measured with bench/wire.ts). */
const shortStringBytes = 48;

/** V8 keeps typed arrays up to this size on the JS heap; larger ones cost an off-heap allocation. */
const onHeapBytes = 64;

/**
 * A byte array of `n` bytes for output that will be fully overwritten. Small ones are ordinary heap
 * arrays; larger ones are plain Uint8Array views of Node's pooled Buffer memory, about ten times cheaper
 * than a fresh off-heap allocation (measured). Like Buffers, such views may share their ArrayBuffer:
 * use byteOffset/length, never `.buffer` alone.
 */
export function allocBytes(n: number): Uint8Array {
  if (n <= onHeapBytes) return new Uint8Array(n);
  const b = Buffer.allocUnsafe(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** A copy of `buf[start, end)` as a plain Uint8Array (never a Buffer, never a view of the input). */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n <= 16) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = buf[start + i]!;
    return out;
  }
  const out = allocBytes(n);
  out.set(buf.subarray(start, end));
  return out;
}

/** A shared zero-length array for absent byte fields (it has no elements to mutate). */
export const emptyBytes: Uint8Array = new Uint8Array(0);

/** A growable big-endian output buffer. Each encode call uses its own writer. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initialCapacity = onHeapBytes) {
    this.buf = allocBytes(initialCapacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(16, this.buf.length * 2);
    while (cap < need) cap *= 2;
    const next = allocBytes(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Appends a big-endian uint16. */
  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v;
  }

  /** Appends a big-endian uint32. */
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v;
  }

  /** Appends bytes. */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.ensure(n);
    // TypedArray#set has a fixed cost that dominates for keys and addresses; loop for short input.
    if (n <= 16) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = src[i]!;
      this.pos = p;
      return;
    }
    this.buf.set(src, this.pos);
    this.pos += n;
  }

  /** The bytes written so far (the writer must not be used afterwards). */
  finish(): Uint8Array {
    const { buf, pos } = this;
    if (pos === buf.length) return buf;
    // `subarray` is slow (species lookup), and `.buffer` of a small heap array forces it off-heap:
    // copy small results, re-view large (already off-heap) ones.
    if (buf.length <= onHeapBytes) return buf.slice(0, pos);
    return new Uint8Array(buf.buffer, buf.byteOffset, pos);
  }
}

/** UTF-8 bytes of `s`; ASCII strings take a loop instead of TextEncoder. */
export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  if (n <= shortStringBytes) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return textEncoder.encode(s);
      out[i] = c;
    }
    return out;
  }
  return textEncoder.encode(s);
}

/** Number of bytes of the UTF-8 encoding of `s` (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2; // the pair is 2 code units and 4 bytes
      i++;
    } else len += 2;
  }
  return len;
}

/** Length of `s` if it is pure ASCII, else -1. */
export function asciiLength(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return -1;
  return n;
}

/** Decodes `buf[start, end)` as UTF-8 (invalid sequences become U+FFFD, as Go would print them). */
export function utf8Decode(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return "";
  if (n <= shortStringBytes) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return textDecoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return textDecoder.decode(buf.subarray(start, end));
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * msgpack primitives exactly as hashicorp/go-msgpack writes them for memberlist (memberlist-wire.md §3):
 * the legacy "raw" family for both strings and bytes (fixstr, 0xda, 0xdb — never str8 or bin), the
 * smallest unsigned integer forms, and a lenient reader that accepts every form Go accepts.
 */
import { DecodeError, EncodeError } from "../errors.ts";
import { type ByteWriter, copyBytes, utf8Decode, utf8Encode } from "./bytes.ts";
import { maxMsgpackDepth } from "./limits.ts";

const twoPow32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------------------
// Writing

/** Writes a map header (fixmap below 16 entries, as Go). */
export function writeMapHeader(w: ByteWriter, n: number): void {
  if (n < 16) w.u8(0x80 | n);
  else if (n < 0x10000) {
    w.u8(0xde);
    w.u16(n);
  } else {
    w.u8(0xdf);
    w.u32(n);
  }
}

/** Writes an array header. */
export function writeArrayHeader(w: ByteWriter, n: number): void {
  if (n < 16) w.u8(0x90 | n);
  else if (n < 0x10000) {
    w.u8(0xdc);
    w.u16(n);
  } else {
    w.u8(0xdd);
    w.u32(n);
  }
}

/** Writes a non-negative integer in the smallest unsigned form (positive fixint, 0xcc…0xcf). */
export function writeUint(w: ByteWriter, v: number): void {
  if (v <= 0x7f) w.u8(v);
  else if (v <= 0xff) {
    w.ensure(2);
    w.buf[w.pos++] = 0xcc;
    w.buf[w.pos++] = v;
  } else if (v <= 0xffff) {
    w.u8(0xcd);
    w.u16(v);
  } else if (v < twoPow32) {
    w.u8(0xce);
    w.u32(v);
  } else {
    w.u8(0xcf);
    w.u32(Math.floor(v / twoPow32));
    w.u32(v >>> 0);
  }
}

/**
 * Writes a Go `int` the way the 0.2.2-era codec does: unsigned forms when ≥ 0 (both codecs decode them),
 * signed forms only for negative values.
 */
export function writeInt(w: ByteWriter, v: number): void {
  if (v >= 0) writeUint(w, v);
  else if (v >= -32) w.u8(v & 0xff);
  else if (v >= -0x80) {
    w.u8(0xd0);
    w.u8(v & 0xff);
  } else if (v >= -0x8000) {
    w.u8(0xd1);
    w.u16(v & 0xffff);
  } else if (v >= -0x8000_0000) {
    w.u8(0xd2);
    w.u32(v >>> 0);
  } else {
    w.u8(0xd3);
    w.u32(Math.floor(v / twoPow32) >>> 0);
    w.u32(v >>> 0);
  }
}

/** Writes the header of a raw (str-family) value of `len` bytes: fixstr, 0xda or 0xdb, never 0xd9. */
export function writeRawHeader(w: ByteWriter, len: number): void {
  if (len < 32) w.u8(0xa0 | len);
  else if (len < 0x10000) {
    w.u8(0xda);
    w.u16(len);
  } else if (len < twoPow32) {
    w.u8(0xdb);
    w.u32(len);
  } else {
    throw new EncodeError(`byte string of ${len} bytes is too long for msgpack`);
  }
}

/** Writes bytes as a raw (str-family) value, as Go does for `[]byte`. */
export function writeRaw(w: ByteWriter, b: Uint8Array): void {
  writeRawHeader(w, b.length);
  w.bytes(b);
}

/** Writes a string as a raw value of its UTF-8 bytes; ASCII is copied directly. */
export function writeString(w: ByteWriter, s: string): void {
  const n = s.length;
  if (n < 32) {
    w.ensure(n + 1);
    const buf = w.buf;
    const start = w.pos;
    buf[start] = 0xa0 | n;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        writeRaw(w, utf8Encode(s));
        return;
      }
      buf[start + 1 + i] = c;
    }
    w.pos = start + 1 + n;
    return;
  }
  writeRaw(w, utf8Encode(s));
}

/** Writes msgpack nil. */
export function writeNil(w: ByteWriter): void {
  w.u8(0xc0);
}

/** Writes a msgpack boolean. */
export function writeBool(w: ByteWriter, v: boolean): void {
  w.u8(v ? 0xc3 : 0xc2);
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/** Kinds of container header {@link MsgpackReader.readContainer} can return. */
export const ContainerKind = { Map: 1, Array: 2, Nil: 3 } as const;

/**
 * A cursor over msgpack bytes. Every read checks the remaining input first, so a claimed length can never
 * make it allocate or loop beyond what was received. Failures are {@link DecodeError}s.
 */
export class MsgpackReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  /** Bounds of the last raw value read by {@link readRaw}. */
  rawStart = 0;
  rawEnd = 0;
  /** Count of the last container read by {@link readContainer}. */
  count = 0;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw new DecodeError("msgpack: unexpected end of input");
  }

  private byte(): number {
    if (this.pos >= this.end) throw new DecodeError("msgpack: unexpected end of input");
    return this.buf[this.pos++]!;
  }

  private be(n: 1 | 2 | 4): number {
    this.need(n);
    const b = this.buf;
    let p = this.pos;
    let v: number;
    if (n === 1) v = b[p]!;
    else if (n === 2) v = (b[p]! << 8) | b[p + 1]!;
    else v = b[p]! * 0x100_0000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    p += n;
    this.pos = p;
    return v;
  }

  /** Reads any msgpack integer (or nil as 0) as a safe JS integer; DecodeError outside ±2^53. */
  readInt(): number {
    const t = this.byte();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    switch (t) {
      case 0xc0:
        return 0;
      case 0xcc:
        return this.be(1);
      case 0xcd:
        return this.be(2);
      case 0xce:
        return this.be(4);
      case 0xcf: {
        const hi = this.be(4);
        const lo = this.be(4);
        if (hi > 0x1f_ffff) throw new DecodeError("msgpack: integer out of range");
        return hi * twoPow32 + lo;
      }
      case 0xd0: {
        const v = this.be(1);
        return v >= 0x80 ? v - 0x100 : v;
      }
      case 0xd1: {
        const v = this.be(2);
        return v >= 0x8000 ? v - 0x10000 : v;
      }
      case 0xd2:
        return this.be(4) | 0;
      case 0xd3: {
        const hi = this.be(4) | 0;
        const lo = this.be(4);
        const v = hi * twoPow32 + lo;
        if (!Number.isSafeInteger(v)) throw new DecodeError("msgpack: integer out of range");
        return v;
      }
      default:
        throw new DecodeError(`msgpack: expected an integer, got 0x${t.toString(16)}`);
    }
  }

  /** Reads an integer that must lie in [0, max] (a Go unsigned field). */
  readUint(max: number): number {
    const v = this.readInt();
    if (v < 0 || v > max) throw new DecodeError(`msgpack: integer ${v} out of range 0..${max}`);
    return v;
  }

  /** Reads a boolean; Go also accepts fixint 0/1 (any integer 0/1 here) and nil as false. */
  readBool(): boolean {
    const t = this.pos < this.end ? this.buf[this.pos] : undefined;
    if (t === 0xc3) {
      this.pos++;
      return true;
    }
    if (t === 0xc2) {
      this.pos++;
      return false;
    }
    const v = this.readInt();
    if (v === 0 || v === 1) return v === 1;
    throw new DecodeError("msgpack: expected a boolean");
  }

  /**
   * Reads a str-family or bin-family value, leaving its bounds in rawStart/rawEnd.
   * Returns false for nil. Throws for anything else.
   */
  readRaw(): boolean {
    const t = this.byte();
    let len: number;
    if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
    else if (t === 0xc0) return false;
    else if (t === 0xd9 || t === 0xc4) len = this.be(1);
    else if (t === 0xda || t === 0xc5) len = this.be(2);
    else if (t === 0xdb || t === 0xc6) len = this.be(4);
    else throw new DecodeError(`msgpack: expected a string or bytes, got 0x${t.toString(16)}`);
    this.need(len);
    this.rawStart = this.pos;
    this.pos += len;
    this.rawEnd = this.pos;
    return true;
  }

  /** True if the next value is a str/bin value (without consuming it). */
  peekIsRaw(): boolean {
    const t = this.buf[this.pos];
    if (t === undefined || this.pos >= this.end) return false;
    return (t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb || (t >= 0xc4 && t <= 0xc6);
  }

  /** True if the next value is an array header. */
  peekIsArray(): boolean {
    const t = this.buf[this.pos];
    if (t === undefined || this.pos >= this.end) return false;
    return (t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd;
  }

  /** Reads a string field: raw bytes as UTF-8, nil as "". */
  readString(): string {
    return this.readRaw() ? utf8Decode(this.buf, this.rawStart, this.rawEnd) : "";
  }

  /**
   * Reads a byte-slice field: raw/bin bytes (copied), or an array of 0..255 integers (Go accepts that for
   * `[]byte`, notably `Vsn`). Returns null for nil.
   */
  readBytes(): Uint8Array | null {
    if (this.peekIsArray()) {
      const kind = this.readContainer();
      if (kind !== ContainerKind.Array) throw new DecodeError("msgpack: expected bytes");
      const n = this.count;
      // Each element takes at least one byte: check before allocating.
      this.need(n);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = this.readUint(0xff);
      return out;
    }
    if (!this.readRaw()) return null;
    return copyBytes(this.buf, this.rawStart, this.rawEnd);
  }

  /** Reads a map or array header (count in `count`), or nil. Throws for anything else. */
  readContainer(): number {
    const t = this.byte();
    if (t >= 0x80 && t <= 0x8f) {
      this.count = t & 0x0f;
      return ContainerKind.Map;
    }
    if (t >= 0x90 && t <= 0x9f) {
      this.count = t & 0x0f;
      return ContainerKind.Array;
    }
    switch (t) {
      case 0xc0:
        this.count = 0;
        return ContainerKind.Nil;
      case 0xde:
        this.count = this.be(2);
        return ContainerKind.Map;
      case 0xdf:
        this.count = this.be(4);
        return ContainerKind.Map;
      case 0xdc:
        this.count = this.be(2);
        return ContainerKind.Array;
      case 0xdd:
        this.count = this.be(4);
        return ContainerKind.Array;
      default:
        throw new DecodeError(`msgpack: expected a map or array, got 0x${t.toString(16)}`);
    }
  }

  /** Skips one complete value of any type (unknown keys), refusing nesting deeper than the limit. */
  skip(): void {
    const end = msgpackValueEnd(this.buf, this.pos, this.end);
    if (end < 0) throw new DecodeError("msgpack: unexpected end of input");
    this.pos = end;
  }
}

/**
 * Where the msgpack value starting at `pos` ends, or -1 if `buf[pos, end)` holds only part of it.
 * Throws {@link DecodeError} for bytes that can never be valid (0xc1, nesting past the depth limit).
 * Never allocates: stream framing calls it repeatedly as bytes arrive.
 */
export function msgpackValueEnd(buf: Uint8Array, pos: number, end: number, depth = 0): number {
  if (depth > maxMsgpackDepth) throw new DecodeError("msgpack: nesting too deep");
  if (pos >= end) return -1;
  const t = buf[pos]!;
  let p = pos + 1;
  let len = 0;
  let items = 0;
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return p;
  if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
  else if (t >= 0x80 && t <= 0x8f) items = (t & 0x0f) * 2;
  else if (t >= 0x90 && t <= 0x9f) items = t & 0x0f;
  else {
    switch (t) {
      case 0xc1:
        throw new DecodeError("msgpack: invalid byte 0xc1");
      case 0xcc:
      case 0xd0:
        len = 1;
        break;
      case 0xcd:
      case 0xd1:
        len = 2;
        break;
      case 0xce:
      case 0xd2:
      case 0xca:
        len = 4;
        break;
      case 0xcf:
      case 0xd3:
      case 0xcb:
        len = 8;
        break;
      case 0xd4:
        len = 2;
        break;
      case 0xd5:
        len = 3;
        break;
      case 0xd6:
        len = 5;
        break;
      case 0xd7:
        len = 9;
        break;
      case 0xd8:
        len = 17;
        break;
      case 0xc4:
      case 0xd9:
      case 0xc7: {
        if (end - p < 1) return -1;
        len = buf[p]! + (t === 0xc7 ? 1 : 0);
        p += 1;
        break;
      }
      case 0xc5:
      case 0xda:
      case 0xc8: {
        if (end - p < 2) return -1;
        len = ((buf[p]! << 8) | buf[p + 1]!) + (t === 0xc8 ? 1 : 0);
        p += 2;
        break;
      }
      case 0xc6:
      case 0xdb:
      case 0xc9: {
        if (end - p < 4) return -1;
        len = readU32(buf, p) + (t === 0xc9 ? 1 : 0);
        p += 4;
        break;
      }
      case 0xdc:
      case 0xde: {
        if (end - p < 2) return -1;
        items = ((buf[p]! << 8) | buf[p + 1]!) * (t === 0xde ? 2 : 1);
        p += 2;
        break;
      }
      case 0xdd:
      case 0xdf: {
        if (end - p < 4) return -1;
        items = readU32(buf, p) * (t === 0xdf ? 2 : 1);
        p += 4;
        break;
      }
      default:
        throw new DecodeError(`msgpack: invalid byte 0x${t.toString(16)}`);
    }
  }
  if (items === 0) return end - p < len ? -1 : p + len;
  // Every element takes at least one byte, so the loop is bounded by the input, not by the claimed count.
  for (let i = 0; i < items; i++) {
    if (p >= end) return -1;
    p = msgpackValueEnd(buf, p, end, depth + 1);
    if (p < 0) return -1;
  }
  return p;
}

/** Reads a big-endian uint32 at `p` (caller checks bounds). */
export function readU32(buf: Uint8Array, p: number): number {
  return buf[p]! * 0x100_0000 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
}

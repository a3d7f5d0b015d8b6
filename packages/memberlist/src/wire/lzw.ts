/**
 * LZW exactly as Go's `compress/lzw` with LSB bit order and 8-bit literals (memberlist-wire.md §7):
 * codes 0–255 literals, 256 CLEAR, 257 EOF, widths 9..12 bits, a CLEAR first, and a CLEAR (without a new
 * entry) when the encoder's next code would reach 4095. Output is byte-identical to Go's.
 *
 * Both directions are hot in large clusters (every gossip packet and push/pull goes through them), so the
 * loops are written for what V8 optimises well: state in locals (not in closures, which would keep it in
 * a heap context), integer arithmetic on typed arrays, nothing allocated per call beyond the result, and
 * no loop so long that it runs as on-stack-replacement code. bench/lzw.ts measures them.
 */
import { DecodeError, LimitError } from "../errors.ts";
import { maxDecompressedBytes } from "./limits.ts";

const clearCode = 256;
const eofCode = 257;
const maxWidth = 12;
const maxCode = (1 << maxWidth) - 1;

/** Input bytes per encodeRun call (see lzwCompress). */
const runBytes = 1 << 14;
/** Output bytes for `n` input bytes at most: a 12-bit code per byte, a CLEAR per 3838 codes, CLEAR, EOF. */
const encodedBound = (n: number): number => Math.ceil(((n + 4 + Math.ceil(n / 3000)) * 12) / 8) + 4;

/*
 * Encoder scratch, reused by every call: allocating typed arrays of tens of KiB costs more than
 * compressing a packet. Safe because lzwCompress is synchronous and calls nothing that could re-enter it,
 * each call resets the parts of the tables it uses before using them, and results are always copied out
 * of encodeOut. Bounded: 64 + 16 + 32 KiB.
 *
 * The dictionary maps (prefix code, literal) to a code. A code's first child is kept directly, by code:
 * most lookups end there with one load and no hashing, and a code without children needs no lookup at
 * all. Later children go in a hash table, as in Go's writer. Which structure holds an entry has no
 * effect on the output.
 */
/** First child of each code: literal << 12 | code, or -1. */
const encodeFirst = new Int32Array(1 << maxWidth);
/** Later children: (prefix code << 8 | literal) << 12 | code; 0 is empty (codes are > 257). */
const encodeTable = new Int32Array(4 * (1 << maxWidth));
const encodeOut = new Uint8Array(1 << 15);

/** Encoder state between encodeRun calls. */
class EncodeState {
  out: Uint8Array;
  o = 0;
  /** Bits not yet written, LSB first, and how many (< 16 between codes). */
  bits = 0;
  nBits = 0;
  width = 9;
  /** The last code assigned; reaching `next` widens codes or (at 4095) resets. */
  hi = eofCode;
  next = 512;
  /** The code of the longest string matched so far. */
  code = 0;
  /** Hash table slots in use: a power of two. */
  readonly tableSize: number;

  constructor(n: number) {
    const bound = encodedBound(n);
    // Small inputs go through the scratch buffer; large ones get a guess that grows (see reserve).
    this.out = bound <= encodeOut.length ? encodeOut : new Uint8Array(Math.min(bound, (n >>> 1) + 1024));
    // At most one entry per input byte, and 3838 before a reset: the load stays below 1/2.
    let size = 256;
    while (size < 2 * n && size < encodeTable.length) size <<= 1;
    this.tableSize = size;
    encodeTable.fill(0, 0, size);
    // Codes past 257 + n cannot be assigned.
    encodeFirst.fill(-1, 0, Math.min(1 << maxWidth, eofCode + 1 + n));
  }

  /** Makes room for what `len` more input bytes can produce. */
  reserve(len: number): void {
    const need = this.o + encodedBound(len);
    if (need <= this.out.length) return;
    const next = new Uint8Array(Math.max(need, 2 * this.out.length));
    next.set(this.out.subarray(0, this.o));
    this.out = next;
  }

  /** Writes one code outside the hot loop. */
  put(c: number): void {
    this.bits |= c << this.nBits;
    this.nBits += this.width;
    while (this.nBits >= 8) {
      this.out[this.o++] = this.bits & 0xff;
      this.bits >>= 8;
      this.nBits -= 8;
    }
  }
}

/** Compresses `data`; byte-identical to Go's lzw.NewWriter(w, lzw.LSB, 8) + Write + Close. */
export function lzwCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  const s = new EncodeState(n);
  s.put(clearCode);
  if (n > 0) {
    s.code = data[0]!;
    // In bounded runs, so that a large input keeps running the normally optimised encodeRun: one long
    // loop would run in on-stack-replacement code, which V8 optimises worse (and here it deoptimised
    // on every call).
    for (let i = 1; i < n; i += runBytes) {
      const end = Math.min(n, i + runBytes);
      s.reserve(end - i);
      encodeRun(data, i, end, s);
    }
    // Go's Close: the pending code, whose hi increment can still widen the EOF code or send a CLEAR.
    s.put(s.code);
    s.hi++;
    if (s.hi === maxCode) {
      s.put(clearCode);
      s.width = 9;
    } else if (s.hi === s.next) {
      s.width++;
    }
  }
  s.put(eofCode);
  if (s.nBits > 0) s.out[s.o++] = s.bits & 0xff;
  const { out, o } = s;
  // Copy out of the scratch buffer, or when much of the buffer is unused.
  return out !== encodeOut && out.length - o <= o >>> 3 ? out.subarray(0, o) : out.slice(0, o);
}

/** Encodes data[start, end) after s.code; s.out has room for it. */
function encodeRun(data: Uint8Array, start: number, end: number, s: EncodeState): void {
  // Local constants: module-level ones cost a load and a TDZ check per use in optimised code.
  const codeMask = 4095;
  const first = encodeFirst;
  const table = encodeTable;
  const tableSize = s.tableSize;
  const tableMask = tableSize - 1;
  const out = s.out;
  let o = s.o;
  let bits = s.bits;
  let nBits = s.nBits;
  let width = s.width;
  let hi = s.hi;
  let next = s.next;
  let code = s.code;
  let i = start;
  while (i < end) {
    // Follow first children while they match, in a loop small enough for V8 to keep in registers.
    let f = first[code]!;
    let literal = data[i++]!;
    while (f >> 12 === literal && i < end) {
      code = f & codeMask;
      f = first[code]!;
      literal = data[i++]!;
    }
    if (f >> 12 === literal) {
      code = f & codeMask;
      break;
    }
    // Other children are in the hash table (none without a first child).
    const key = (code << 8) | literal;
    let hash = 0;
    if (f !== -1) {
      hash = ((key >>> 12) ^ key) & tableMask;
      let e = table[hash]!;
      while (e !== 0 && e >>> 12 !== key) {
        hash = (hash + 1) & tableMask;
        e = table[hash]!;
      }
      if (e !== 0) {
        code = e & codeMask;
        continue;
      }
    }
    // No entry for code+literal: emit code, and literal starts the next string. Two bytes at a time
    // keeps the branch rare, and nBits (< 16 + 12) fits in 32 bits.
    bits |= code << nBits;
    nBits += width;
    if (nBits >= 16) {
      out[o++] = bits & 0xff;
      out[o++] = (bits >> 8) & 0xff;
      bits >>= 16;
      nBits -= 16;
    }
    const prefix = code;
    code = literal;
    if (++hi === next) {
      if (hi === codeMask) {
        // Out of codes: CLEAR instead of a new entry, and start over.
        bits |= 256 << nBits;
        nBits += width;
        if (nBits >= 16) {
          out[o++] = bits & 0xff;
          out[o++] = (bits >> 8) & 0xff;
          bits >>= 16;
          nBits -= 16;
        }
        width = 9;
        hi = 257;
        next = 512;
        first.fill(-1);
        table.fill(0, 0, tableSize);
        continue;
      }
      width++;
      next = width === 12 ? codeMask : 1 << width;
    }
    if (f === -1) first[prefix] = (literal << 12) | hi;
    // `hash` is the first free slot of the probe sequence.
    else table[hash] = (key << 12) | hi;
  }
  s.o = o;
  s.bits = bits;
  s.nBits = nBits;
  s.width = width;
  s.hi = hi;
  s.next = next;
  s.code = code;
}

/**
 * Decoder scratch, reused as the encoder's is (and safe for the same reasons): the code table, whose
 * slots are always written before they are read within a call, and an output buffer for results that
 * fit, which are copied out. Bounded: 32 + 64 KiB.
 */
const decodeTable = new Int32Array(2 * ((1 << maxWidth) + 1));
const decodeOut = new Uint8Array(1 << 16);
const decodeView = new DataView(decodeOut.buffer);
/** Room past the output's end for copies that write whole 4-byte words. */
const copySlack = 8;

/**
 * Decompresses Go LZW (LSB, 8-bit literals), with or without a leading CLEAR. DecodeError on an invalid
 * code, input ending before EOF, or output beyond `limit` bytes (40 MiB by default).
 *
 * Every code's string is already in the output (a code is the previous code's string plus the next byte,
 * which the following code writes right after it), so the table keeps (offset, length) per code and
 * expanding one is a copy from earlier output, not a walk down a prefix chain.
 */
export function lzwDecompress(data: Uint8Array, limit = maxDecompressedBytes): Uint8Array {
  const n = data.length;
  // As a small integer, so that V8 compares offsets with it as integers, not doubles (1 GiB is far
  // beyond any memberlist message; a NaN or negative limit allows no bytes).
  const max = limit >= 1 << 30 ? 1 << 30 : limit > 0 ? Math.floor(limit) | 0 : 0;
  // [offset, length] of each code's string in `out`.
  const table = decodeTable;
  // Gossip expands 3-6×; a larger output grows by what the input so far suggests.
  const guess = Math.min(max, Math.max(64, n * 4)) + copySlack;
  let out: Uint8Array = guess <= decodeOut.length ? decodeOut : new Uint8Array(guess);
  let view = out === decodeOut ? decodeView : new DataView(out.buffer);
  // Strings must end by cap: it keeps copySlack spare bytes, and never passes limit.
  let cap = Math.min(max, out.length - copySlack);
  let o = 0;
  let bits = 0;
  let nBits = 0;
  let p = 0;
  let width = 9;
  let mask = 511;
  // The slot the next entry goes to; codes up to hi are valid (hi itself is the KwKwK case). Once the
  // table is full it stays at overflow (4096), past every 12-bit code, so entries stop.
  let hi = 257;
  let overflow = 512;
  // The previous code's string: a new entry is it plus one byte.
  let lastStart = 0;
  let lastLen = 0;

  for (;;) {
    if (nBits < width) {
      if (p + 1 < n) {
        bits |= (data[p]! | (data[p + 1]! << 8)) << nBits;
        p += 2;
        nBits += 16;
      } else {
        while (nBits < width) {
          if (p >= n) throw new DecodeError("lzw: unexpected end of data");
          bits |= data[p++]! << nBits;
          nBits += 8;
        }
      }
    }
    const code = bits & mask;
    bits >>= width;
    nBits -= width;

    // Record hi = previous string + first byte of this one, before expanding, so code === hi finds it.
    // Right after a CLEAR this writes slot 257 (EOF), which is never read.
    table[2 * hi] = lastStart;
    table[2 * hi + 1] = lastLen + 1;
    if (code < 256) {
      if (o >= cap) {
        out = grow(out, o, o + 1, max, p, n);
        view = new DataView(out.buffer);
        cap = Math.min(max, out.length - copySlack);
      }
      lastStart = o;
      lastLen = 1;
      out[o++] = code;
    } else if (code > 257 && code <= hi) {
      const start = table[2 * code]!;
      const len = table[2 * code + 1]!;
      if (o + len > cap) {
        out = grow(out, o, o + len, max, p, n);
        view = new DataView(out.buffer);
        cap = Math.min(max, out.length - copySlack);
      }
      lastStart = o;
      lastLen = len;
      if (o - start >= 4) {
        // Word copies, which may write up to 3 bytes of slack past the string. Safe for code === hi
        // too (its source runs one byte into the destination): a word is read only after the words
        // before it, which hold that byte, were written.
        if (len <= 256) {
          for (let k = 0; k < len; k += 4) view.setInt32(o + k, view.getInt32(start + k, true), true);
        } else {
          out.copyWithin(o, start, start + len - 1);
          out[o + len - 1] = out[start + len - 1]!;
        }
      } else {
        // Under 4 bytes back: a short run, copied forward a byte at a time.
        for (let j = 0; j < len; j++) out[o + j] = out[start + j]!;
      }
      o += len;
    } else if (code === 256) {
      width = 9;
      mask = 511;
      hi = 257;
      overflow = 512;
      continue;
    } else if (code === 257) {
      // A view saves a copy when little of the buffer is unused; the scratch buffer is always copied.
      return out !== decodeOut && out.length - o <= o >>> 3 ? out.subarray(0, o) : out.slice(0, o);
    } else {
      throw new DecodeError("lzw: invalid code");
    }
    if (hi < overflow) {
      hi++;
      if (hi === overflow && width < 12) {
        width++;
        mask = (1 << width) - 1;
        overflow <<= 1;
      }
    }
  }
}

/**
 * A larger copy of `out[0, o)` with room for `need` bytes, sized by the expansion seen so far (`o` bytes
 * from `p` of `n` input bytes); DecodeError past `limit`.
 */
function grow(out: Uint8Array, o: number, need: number, limit: number, p: number, n: number): Uint8Array {
  if (need > limit) throw new LimitError(`decompressed data exceeds ${limit} bytes`, limit);
  // A little over the projection: when it holds, the result is a view of this buffer (see EOF above).
  const projected = Math.ceil(((o / Math.max(p, 1)) * n * 17) / 16);
  const size = Math.min(limit, Math.max(need, Math.ceil(out.length * 1.5), projected)) + copySlack;
  const next = new Uint8Array(size);
  next.set(out.subarray(0, o));
  return next;
}

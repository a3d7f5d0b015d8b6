/**
 * LZW exactly as Go's `compress/lzw` with LSB bit order and 8-bit literals (memberlist-wire.md §7):
 * codes 0–255 literals, 256 CLEAR, 257 EOF, widths 9..12 bits, a CLEAR first, and a CLEAR (without a new
 * entry) when the encoder's next code would reach 4095. Output is byte-identical to Go's.
 */
import { DecodeError } from "../errors.ts";
import { maxDecompressedBytes } from "./limits.ts";

const clearCode = 256;
const eofCode = 257;
const maxWidth = 12;
const maxCode = (1 << maxWidth) - 1;
/** Open-addressing table size at most: four times the code space, as Go. */
const maxTableSize = 4 * (1 << maxWidth);

/**
 * The hash table only has to hold the entries this input can create (one per input byte at most,
 * and never more than the code space before a reset), so small packets get a small table: allocating
 * and zeroing Go's full 64 KiB for a 30-byte ping would cost more than compressing it.
 */
function tableSizeFor(n: number): number {
  const entries = Math.min(n, 1 << maxWidth);
  let size = 64;
  while (size < 4 * entries && size < maxTableSize) size <<= 1;
  return size;
}

/** Compresses `data`; byte-identical to Go's lzw.NewWriter(w, lzw.LSB, 8) + Write + Close. */
export function lzwCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  // Upper bound: one code per input byte plus CLEARs and EOF, 12 bits each.
  const out = new Uint8Array(Math.ceil(((n + 4 + Math.ceil(n / 3000)) * maxWidth) / 8) + 2);
  let o = 0;
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = eofCode;
  let overflow = 512;
  // keys hold (code << 8 | literal) + 1, 0 meaning empty; vals hold the code of that entry.
  const tableSize = tableSizeFor(n);
  const tableMask = tableSize - 1;
  const keys = new Int32Array(tableSize);
  const vals = new Uint16Array(tableSize);

  const write = (c: number): void => {
    bits |= c << nBits;
    nBits += width;
    while (nBits >= 8) {
      out[o++] = bits & 0xff;
      bits >>>= 8;
      nBits -= 8;
    }
  };
  /** Advances `hi`; returns true when it ran out of codes and sent a CLEAR. */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === maxCode) {
      write(clearCode);
      width = 9;
      hi = eofCode;
      overflow = 512;
      keys.fill(0);
      return true;
    }
    return false;
  };

  write(clearCode);
  if (n > 0) {
    let code = data[0]!;
    for (let i = 1; i < n; i++) {
      const literal = data[i]!;
      const key = (code << 8) | literal;
      let hash = ((key >>> 12) ^ key) & tableMask;
      let found = -1;
      for (let k = keys[hash]!; k !== 0; k = keys[hash]!) {
        if (k === key + 1) {
          found = vals[hash]!;
          break;
        }
        hash = (hash + 1) & tableMask;
      }
      if (found >= 0) {
        code = found;
        continue;
      }
      write(code);
      code = literal;
      if (incHi()) continue;
      // `hash` is now the first free slot of the probe sequence.
      keys[hash] = key + 1;
      vals[hash] = hi;
    }
    write(code);
    incHi();
  }
  write(eofCode);
  if (nBits > 0) out[o++] = bits & 0xff;
  return out.slice(0, o);
}

/**
 * Decompresses Go LZW (LSB, 8-bit literals), with or without a leading CLEAR. DecodeError on an invalid
 * code, input ending before EOF, or output beyond `limit` bytes (40 MiB by default).
 */
export function lzwDecompress(data: Uint8Array, limit = maxDecompressedBytes): Uint8Array {
  const prefix = new Uint16Array(1 << maxWidth);
  const suffix = new Uint8Array(1 << maxWidth);
  const scratch = new Uint8Array(1 << maxWidth);
  let out = new Uint8Array(Math.min(limit, Math.max(64, data.length * 4)));
  let o = 0;
  let bits = 0;
  let nBits = 0;
  let p = 0;
  let width = 9;
  let hi = eofCode;
  let overflow = 512;
  let last = -1;

  const grow = (need: number): void => {
    if (need > limit) throw new DecodeError(`decompressed data exceeds ${limit} bytes`);
    let cap = out.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(Math.min(cap, limit));
    next.set(out.subarray(0, o));
    out = next;
  };

  for (;;) {
    while (nBits < width) {
      if (p >= data.length) throw new DecodeError("lzw: unexpected end of data");
      bits |= data[p++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < clearCode) {
      if (o + 1 > out.length) grow(o + 1);
      out[o++] = code;
      if (last >= 0) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === clearCode) {
      width = 9;
      hi = eofCode;
      overflow = 512;
      last = -1;
      continue;
    } else if (code === eofCode) {
      return out.slice(0, o);
    } else if (code <= hi) {
      // Expand backwards into scratch by walking the prefix chain (prefixes always point lower).
      let c = code;
      let i = scratch.length - 1;
      if (code === hi && last >= 0) {
        c = last;
        while (c >= clearCode) c = prefix[c]!;
        scratch[i--] = c;
        c = last;
      }
      while (c >= clearCode) {
        scratch[i--] = suffix[c]!;
        c = prefix[c]!;
      }
      scratch[i] = c;
      const len = scratch.length - i;
      if (o + len > out.length) grow(o + len);
      // Most expansions are a few bytes: a loop beats creating a subarray view per code.
      if (len <= 32) {
        for (let j = i; j < scratch.length; j++) out[o++] = scratch[j]!;
      } else {
        out.set(scratch.subarray(i), o);
        o += len;
      }
      if (last >= 0) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new DecodeError("lzw: invalid code");
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === maxWidth) {
        // Table full: no new entries until a CLEAR arrives.
        last = -1;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

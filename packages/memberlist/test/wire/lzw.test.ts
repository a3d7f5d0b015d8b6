/**
 * LZW against reference implementations written here as plainly as possible, following Go's
 * compress/lzw (LSB, 8-bit literals) line by line: a Map-based writer and a prefix-chain reader. The
 * optimised codec must write exactly the reference writer's bytes, and read every stream (valid, cut,
 * mutated or random) exactly as the reference reader does, failing only with DecodeError.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DecodeError } from "../../src/errors.ts";
import { lzwCompress, lzwDecompress } from "../../src/wire/index.ts";

const seed = 42;

/** Appends codes LSB first, as Go's writer. */
class BitWriter {
  private readonly bytes: number[] = [];
  private bits = 0;
  private nBits = 0;
  write(code: number, width: number): void {
    this.bits |= code << this.nBits;
    this.nBits += width;
    while (this.nBits >= 8) {
      this.bytes.push(this.bits & 0xff);
      this.bits >>>= 8;
      this.nBits -= 8;
    }
  }
  finish(): Uint8Array {
    if (this.nBits > 0) this.bytes.push(this.bits & 0xff);
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Go's lzw.Writer: CLEAR first, hi starts at EOF (257), the width grows when hi reaches 1 << width, and
 * when hi would reach 4095 it sends CLEAR and starts over instead of adding an entry. Options produce
 * streams Go's writer never sends but its reader accepts: no leading CLEAR, and (noReset) a table that
 * stays full instead of being reset.
 */
function refCompress(data: Uint8Array, opts: { leadingClear?: boolean; noReset?: boolean } = {}): Uint8Array {
  const w = new BitWriter();
  let width = 9;
  let hi = 257;
  let overflow = 512;
  let table = new Map<number, number>();
  let full = false;
  /** Go's incHi; returns true when it sent a CLEAR (no entry may be added then). */
  const incHi = (): boolean => {
    if (full) return true;
    hi++;
    if (hi === overflow) {
      if (width === 12) {
        // noReset only: hi can reach 4096 because the 4095 reset below is skipped.
        full = true;
        return true;
      }
      width++;
      overflow <<= 1;
    }
    if (hi === 4095 && !opts.noReset) {
      w.write(256, width);
      width = 9;
      hi = 257;
      overflow = 512;
      table = new Map();
      return true;
    }
    return false;
  };
  if (opts.leadingClear !== false) w.write(256, width);
  if (data.length > 0) {
    let code = data[0]!;
    for (let i = 1; i < data.length; i++) {
      const literal = data[i]!;
      const key = code * 256 + literal;
      const found = table.get(key);
      if (found !== undefined) {
        code = found;
        continue;
      }
      w.write(code, width);
      code = literal;
      if (incHi()) continue;
      table.set(key, hi);
    }
    w.write(code, width);
    incHi();
  }
  w.write(257, width);
  return w.finish();
}

/** Go's lzw.Reader, output capped at `limit` bytes (an Error past it, as for any bad stream). */
function refDecompress(data: Uint8Array, limit: number): Uint8Array {
  const prefix = new Uint16Array(4096);
  const suffix = new Uint8Array(4096);
  const out: number[] = [];
  let bits = 0;
  let nBits = 0;
  let p = 0;
  let width = 9;
  let hi = 257;
  let overflow = 512;
  let last = -1;
  for (;;) {
    while (nBits < width) {
      if (p >= data.length) throw new Error("unexpected EOF");
      bits |= data[p++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code < 256) {
      out.push(code);
      if (last !== -1) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === 256) {
      width = 9;
      hi = 257;
      overflow = 512;
      last = -1;
      continue;
    } else if (code === 257) {
      return Uint8Array.from(out);
    } else if (code <= hi) {
      const s: number[] = [];
      let c = code;
      if (code === hi && last !== -1) {
        // KwKwK: the last string followed by its own first byte.
        c = last;
        while (c >= 256) c = prefix[c]!;
        s.push(c);
        c = last;
      }
      while (c >= 256) {
        s.push(suffix[c]!);
        c = prefix[c]!;
      }
      s.push(c);
      for (let j = s.length - 1; j >= 0; j--) out.push(s[j]!);
      if (last !== -1) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new Error("invalid code");
    }
    if (out.length > limit) throw new Error("over the limit");
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === 12) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
}

/** The codec reads `stream` as the reference does: the same bytes, or DecodeError where it fails. */
function decodesLikeReference(stream: Uint8Array, limit: number): void {
  let want: Uint8Array | undefined;
  try {
    want = refDecompress(stream, limit);
  } catch {
    want = undefined;
  }
  let got: Uint8Array | undefined;
  try {
    got = lzwDecompress(stream, limit);
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`expected DecodeError, got ${err instanceof Error ? `${err.name}: ${err.message}` : err}`);
    }
  }
  if (want === undefined) assert.equal(got, undefined, "the reference reader fails on this stream");
  else assert.deepEqual(got, want);
}

/** Deterministic PRNG (mulberry32) for inputs too large to draw byte by byte. */
function prng(s: number): () => number {
  let state = s >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` bytes made of `words` in random order: repetitive like msgpack records, with varying parts. */
function fromWords(words: Uint8Array[], size: number, s: number): Uint8Array {
  const rnd = prng(s);
  const out = new Uint8Array(size);
  let o = 0;
  while (o < size) {
    const w = words[Math.floor(rnd() * words.length)]!;
    for (let j = 0; j < w.length && o < size; j++) out[o++] = w[j]!;
    if (rnd() < 0.3 && o < size) out[o++] = Math.floor(rnd() * 256);
  }
  return out;
}

/** The de Bruijn sequence B(256, 2): 65,536 bytes in which every pair of bytes occurs once. */
function deBruijn256(): Uint8Array {
  const out: number[] = [];
  const a = [0, 0, 0];
  const db = (t: number, p: number): void => {
    if (t > 2) {
      if (2 % p === 0) for (let j = 1; j <= p; j++) out.push(a[j]!);
      return;
    }
    a[t] = a[t - p]!;
    db(t + 1, p);
    for (let j = a[t - p]! + 1; j < 256; j++) {
      a[t] = j;
      db(t + 1, t);
    }
  };
  db(1, 1);
  return Uint8Array.from(out);
}

/** Short inputs, random bytes, few-letter alphabets, and repetitive ones past 64 KB (several resets). */
const inputs: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2 }),
  fc.uint8Array({ maxLength: 5000 }),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 120_000 }), fc.integer())
    .map(([alphabet, size, s]) => {
      const rnd = prng(s);
      return Uint8Array.from({ length: size }, () => Math.floor(rnd() * alphabet));
    }),
  fc
    .tuple(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 65_536, max: 300_000 }),
      fc.integer(),
    )
    .map(([words, size, s]) => fromWords(words, size, s)),
);

describe("LZW against Go's algorithm", () => {
  it("compresses exactly as the reference writer, and round-trips", () => {
    fc.assert(
      fc.property(inputs, (d) => {
        const want = refCompress(d);
        assert.deepEqual(lzwCompress(d), want);
        assert.deepEqual(lzwDecompress(want), d);
      }),
      { seed, numRuns: 120 },
    );
  });

  it("matches the reference at every input length across the width changes and the first reset", () => {
    // Random bytes assign about one code per byte, so these lengths end the input with hi at every
    // value up to past 4095: the final code's hi increment widens EOF or sends the closing CLEAR.
    const rnd = prng(7);
    const data = Uint8Array.from({ length: 4600 }, () => Math.floor(rnd() * 256));
    for (let n = 0; n <= data.length; n++) {
      const d = data.subarray(0, n);
      const want = refCompress(d);
      const got = lzwCompress(d);
      if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
        assert.fail(`length ${n}: output differs from the reference writer`);
      }
    }
  });

  it("matches the reference when the input ends at a width change or at the reset", () => {
    // A de Bruijn sequence has every byte pair once, so each byte is one code and the input length fixes
    // where the final code lands: at the last 9-, 10- and 11-bit code, or at the closing CLEAR, in each
    // reset cycle, each at a different bit alignment.
    const db = deBruijn256();
    for (let cycle = 0; cycle < 16; cycle++) {
      for (const edge of [254, 766, 1790, 3837]) {
        for (let n = cycle * 3838 + edge - 2; n <= cycle * 3838 + edge + 2; n++) {
          const d = db.subarray(0, n);
          const want = refCompress(d);
          const got = lzwCompress(d);
          if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
            assert.fail(`length ${n}: output differs from the reference writer`);
          }
        }
      }
    }
  });

  it("compresses long runs and large repetitive inputs exactly as the reference writer", () => {
    const cases = [
      new Uint8Array(1_000_000),
      new Uint8Array(300_000).fill(0x61),
      fromWords([Uint8Array.of(1, 2, 3), Uint8Array.of(0x84, 0xa4, 0x4e, 0x6f, 0x64, 0x65)], 500_000, 3),
    ];
    for (const d of cases) {
      const want = refCompress(d);
      assert.deepEqual(lzwCompress(d), want);
      assert.deepEqual(lzwDecompress(want), d);
    }
  });

  it("reads streams without the leading CLEAR, and with a table left full instead of reset", () => {
    fc.assert(
      fc.property(inputs, fc.boolean(), fc.boolean(), (d, leadingClear, noReset) => {
        assert.deepEqual(lzwDecompress(refCompress(d, { leadingClear, noReset })), d);
      }),
      { seed, numRuns: 60 },
    );
  });

  it("reads arbitrary code sequences exactly as the reference reader", () => {
    // Valid-looking streams: literals, codes up to hi (KwKwK included), rare CLEARs, long enough to
    // fill the table; sometimes an invalid code or a missing EOF.
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 12_000 }), (s, count) => {
        const rnd = prng(s);
        const w = new BitWriter();
        let width = 9;
        let hi = 257;
        let overflow = 512;
        let afterClear = true;
        const clearRate = rnd() < 0.5 ? 0 : 1 / 3000;
        for (let k = 0; k < count; k++) {
          let code: number;
          if (rnd() < clearRate) code = 256;
          else if (afterClear || rnd() < 0.3) code = Math.floor(rnd() * 256);
          else {
            code = 258 + Math.floor(rnd() * (hi - 257));
            if (code > hi) code = hi;
          }
          if (rnd() < 0.0002) code = Math.min((1 << width) - 1, hi + 1 + Math.floor(rnd() * 5));
          w.write(code, width);
          if (code === 256) {
            width = 9;
            hi = 257;
            overflow = 512;
            afterClear = true;
            continue;
          }
          afterClear = false;
          hi++;
          if (hi >= overflow) {
            if (width === 12) hi--;
            else {
              width++;
              overflow <<= 1;
            }
          }
        }
        if (rnd() < 0.9) w.write(257, width);
        const stream = w.finish();
        decodesLikeReference(stream, 40 * 1024 * 1024);
        decodesLikeReference(stream, Math.floor(rnd() * 50_000));
      }),
      { seed, numRuns: 150 },
    );
  });

  it("reads truncated and mutated streams as the reference reader, failing only with DecodeError", () => {
    fc.assert(
      fc.property(
        inputs,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom("flip", "set", "cut", "drop")), {
          minLength: 1,
          maxLength: 4,
        }),
        (d, edits) => {
          let stream = refCompress(d);
          for (const [at, v, kind] of edits) {
            if (stream.length === 0) break;
            const i = at % stream.length;
            if (kind === "cut") stream = stream.slice(0, i);
            else if (kind === "drop") {
              const shorter = new Uint8Array(stream.length - 1);
              shorter.set(stream.subarray(0, i));
              shorter.set(stream.subarray(i + 1), i);
              stream = shorter;
            } else {
              stream = stream.slice();
              stream[i] = kind === "flip" ? stream[i]! ^ (1 << (v & 7)) : v;
            }
          }
          decodesLikeReference(stream, 40 * 1024 * 1024);
        },
      ),
      { seed, numRuns: 150 },
    );
  });

  it("reads random bytes as the reference reader", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat({ max: 20_000 }), (b, limit) => {
        decodesLikeReference(b, limit);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("honours the output limit exactly", () => {
    fc.assert(
      fc.property(inputs, (d) => {
        const c = lzwCompress(d);
        assert.deepEqual(lzwDecompress(c, d.length), d);
        if (d.length > 0) {
          assert.throws(() => lzwDecompress(c, d.length - 1), DecodeError);
          assert.throws(() => lzwDecompress(c, -1), DecodeError);
        }
      }),
      { seed, numRuns: 60 },
    );
  });

  it("returns results that later calls do not overwrite", () => {
    const a = Uint8Array.from({ length: 1000 }, (_, i) => i % 7);
    const b = Uint8Array.from({ length: 1000 }, (_, i) => i % 11);
    const ca = lzwCompress(a);
    const cb = lzwCompress(b);
    const da = lzwDecompress(ca);
    const db = lzwDecompress(cb);
    assert.deepEqual(ca, refCompress(a));
    assert.deepEqual(cb, refCompress(b));
    assert.deepEqual(da, a);
    assert.deepEqual(db, b);
  });
});

/** Compound, CRC, label and LZW framing, including how each treats bad input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DecodeError, EncodeError } from "../../src/errors.ts";
import {
  addCrc,
  addLabelHeader,
  compressMessage,
  crc32,
  decodeCompound,
  decompressMessage,
  encodeCompound,
  labelOverhead,
  lzwCompress,
  lzwDecompress,
  MessageType,
  makeCompounds,
  parseStreamLabelHeader,
  removeLabelHeader,
  streamLabelHeader,
  stripCrc,
} from "../../src/wire/index.ts";
import { ascii, hex, toHex } from "./helpers.ts";

const part = (i: number, len = 3): Uint8Array => new Uint8Array(len).fill(i & 0xff);

describe("compound", () => {
  it("accepts 1..255 parts and refuses 0, 256 and parts over 65535 bytes", () => {
    assert.equal(encodeCompound([part(1)])[1], 1);
    assert.equal(encodeCompound(Array.from({ length: 255 }, (_, i) => part(i)))[1], 255);
    assert.throws(() => encodeCompound([]), EncodeError);
    assert.throws(() => encodeCompound(Array.from({ length: 256 }, (_, i) => part(i))), EncodeError);
    assert.throws(() => encodeCompound([new Uint8Array(65536)]), EncodeError);
    assert.equal(encodeCompound([new Uint8Array(65535)]).length, 65535 + 4);
  });

  it("splits into compounds of at most 127 parts by default, leaving a lone message unwrapped", () => {
    const parts = Array.from({ length: 300 }, (_, i) => part(i, 1 + (i % 5)));
    const out = makeCompounds(parts);
    assert.deepEqual(
      out.map((c) => c[1]),
      [127, 127, 46],
    );
    const back = out.flatMap((c) => decodeCompound(c.subarray(1)).parts);
    assert.deepEqual(back, parts);
    assert.deepEqual(makeCompounds([part(9)]), [part(9)]);
    assert.deepEqual(makeCompounds([]), []);
    const lone = makeCompounds(
      Array.from({ length: 5 }, (_, i) => part(i)),
      2,
    );
    assert.equal(lone.length, 3);
    assert.deepEqual(lone[2], part(4));
    assert.throws(() => makeCompounds([part(1)], 256), EncodeError);
  });

  it("decodes 128..255 parts correctly (0.2.2 cannot)", () => {
    const parts = Array.from({ length: 200 }, (_, i) => part(i, (i % 7) + 1));
    const { parts: got, truncated } = decodeCompound(encodeCompound(parts).subarray(1));
    assert.equal(truncated, 0);
    assert.deepEqual(got, parts);
  });

  it("drops truncated parts, keeps earlier ones, ignores trailing bytes", () => {
    const c = encodeCompound([part(1, 4), part(2, 4), part(3, 4)]);
    const cut = decodeCompound(c.subarray(1, c.length - 2));
    assert.deepEqual(cut, { parts: [part(1, 4), part(2, 4)], truncated: 1 });
    const extra = new Uint8Array([...c.subarray(1), 9, 9, 9]);
    assert.equal(decodeCompound(extra).parts.length, 3);
  });

  it("errors on an empty body or a short length table", () => {
    assert.throws(() => decodeCompound(new Uint8Array(0)), /missing compound length byte/);
    assert.throws(() => decodeCompound(hex("030001")), DecodeError);
    assert.deepEqual(decodeCompound(hex("00")), { parts: [], truncated: 0 });
  });
});

describe("CRC", () => {
  it("computes standard CRC-32 (IEEE)", () => {
    assert.equal(crc32(ascii("123456789")), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });

  it("detects any corruption and short headers", () => {
    const wrapped = addCrc(ascii("hello"));
    for (let i = 1; i < wrapped.length; i++) {
      const bad = wrapped.slice();
      bad[i]! ^= 0x01;
      assert.throws(() => stripCrc(bad), DecodeError, `byte ${i}`);
    }
    assert.throws(() => stripCrc(hex("0c0000")), DecodeError);
    assert.throws(() => stripCrc(hex("0400000000")), DecodeError);
    assert.deepEqual(stripCrc(addCrc(new Uint8Array(0))), new Uint8Array(0));
  });
});

describe("label header", () => {
  it("adds [244][n][label], nothing for the empty label", () => {
    assert.equal(toHex(addLabelHeader(hex("01"), "lbl")), "f4036c626c01");
    const b = hex("0102");
    assert.equal(addLabelHeader(b, ""), b);
    assert.equal(labelOverhead(""), 0);
    assert.equal(labelOverhead("lbl"), 5);
    assert.equal(labelOverhead("é"), 4);
  });

  it("refuses labels over 255 bytes", () => {
    assert.equal(addLabelHeader(hex("00"), "x".repeat(255)).length, 258);
    assert.throws(() => addLabelHeader(hex("00"), "x".repeat(256)), ConfigError);
    assert.throws(() => addLabelHeader(hex("00"), "é".repeat(128)), ConfigError);
  });

  it("removes it, reporting '' when absent, errors when empty or truncated", () => {
    assert.deepEqual(removeLabelHeader(hex("f4036c626c01")), { label: "lbl", rest: hex("01") });
    assert.deepEqual(removeLabelHeader(hex("0102")), { label: "", rest: hex("0102") });
    for (const h of ["", "f4", "f400", "f4036c62"])
      assert.throws(() => removeLabelHeader(hex(h)), DecodeError, h);
  });

  it("parses a stream's label header incrementally", () => {
    const full = new Uint8Array([...streamLabelHeader("lbl"), 6, 0x83]);
    assert.equal(toHex(streamLabelHeader("")), "");
    assert.equal(parseStreamLabelHeader(full.subarray(0, 0)), undefined);
    for (let n = 1; n < 5; n++) assert.equal(parseStreamLabelHeader(full.subarray(0, n)), undefined, `${n}`);
    assert.deepEqual(parseStreamLabelHeader(full), { label: "lbl", consumed: 5 });
    assert.deepEqual(parseStreamLabelHeader(hex("06")), { label: "", consumed: 0 });
    assert.throws(() => parseStreamLabelHeader(hex("f400")), DecodeError);
  });
});

describe("LZW", () => {
  it("round-trips data that forces table resets", () => {
    const data = new Uint8Array(200_000);
    let x = 12345;
    for (let i = 0; i < data.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      data[i] = (x >>> 16) & (i % 3 === 0 ? 0xff : 0x0f);
    }
    assert.deepEqual(lzwDecompress(lzwCompress(data)), data);
  });

  it("accepts a stream without the leading CLEAR", () => {
    // "a" without CLEAR: literal 0x61 then EOF (257), 9 bits each, LSB first.
    const bits = 0x61 | (257 << 9);
    assert.deepEqual(
      lzwDecompress(Uint8Array.of(bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff)),
      ascii("a"),
    );
  });

  it("errors on an invalid code, a missing EOF, and output past the limit", () => {
    // CLEAR then code 300 (> hi) → invalid.
    const bits = 256 | (300 << 9);
    assert.throws(
      () => lzwDecompress(Uint8Array.of(bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff)),
      /invalid code/,
    );
    const good = lzwCompress(ascii("hello hello hello"));
    assert.throws(() => lzwDecompress(good.subarray(0, good.length - 2)), DecodeError);
    assert.throws(() => lzwDecompress(new Uint8Array(0)), DecodeError);
    assert.throws(() => lzwDecompress(lzwCompress(new Uint8Array(1000)), 999), DecodeError);
    assert.equal(lzwDecompress(lzwCompress(new Uint8Array(1000)), 1000).length, 1000);
  });

  it("stops an LZW bomb at the limit without growing past it", () => {
    const bomb = lzwCompress(new Uint8Array(5_000_000));
    assert.ok(bomb.length < 20_000);
    assert.throws(() => lzwDecompress(bomb, 1_000_000), DecodeError);
  });
});

describe("compressed messages", () => {
  it("round-trips and refuses unknown algorithms and empty output", () => {
    const msg = ascii("\x04some alive message body");
    assert.deepEqual(decompressMessage(compressMessage(msg).subarray(1)), msg);
    assert.equal(compressMessage(msg)[0], MessageType.Compress);
    const algo1 = hex("82a4416c676f01a3427566a400c30404");
    assert.throws(() => decompressMessage(algo1), /unknown compression algorithm/);
    const empty = hex("82a4416c676f00a3427566a3000302");
    assert.throws(() => decompressMessage(empty), /empty/);
    assert.throws(() => decompressMessage(hex("82a4416c676f00")), DecodeError);
  });
});

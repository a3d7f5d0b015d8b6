/** The UDP packet pipeline and message flattening (memberlist-wire.md §2.1, §2.2, §4.6). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError, LimitError, SecurityError } from "../../src/errors.ts";
import {
  addCrc,
  addLabelHeader,
  compressMessage,
  decodePacket,
  encodeCompound,
  encodeMessage,
  encodePacket,
  flattenMessage,
  MessageType,
} from "../../src/wire/index.ts";
import { ascii, toHex } from "./helpers.ts";

const key = new Uint8Array(16).fill(4);
const other = new Uint8Array(32).fill(5);
const alive = encodeMessage({
  type: MessageType.Alive,
  body: {
    incarnation: 1,
    node: "node-a",
    addr: Uint8Array.of(10, 0, 0, 1),
    port: 7946,
    meta: new Uint8Array(0),
    vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
  },
});
const plain = { compress: false, crc: false, key: null, encryptionVersion: 1 as const, label: "" };

describe("encodePacket / decodePacket", () => {
  it("leaves a message untouched with every option off", () => {
    assert.equal(toHex(encodePacket(alive, plain)), toHex(alive));
    assert.equal(toHex(decodePacket(alive, { label: "", keys: [], verifyIncoming: true })), toHex(alive));
  });

  it("compresses only when strictly smaller", () => {
    const tiny = encodeMessage({ type: MessageType.NackResp, body: { seqNo: 1 } });
    assert.equal(toHex(encodePacket(tiny, { ...plain, compress: true })), toHex(tiny));
    const big = encodeCompound(Array.from({ length: 10 }, () => alive));
    const packed = encodePacket(big, { ...plain, compress: true });
    assert.equal(packed[0], MessageType.Compress);
    assert.ok(packed.length < big.length);
  });

  it("puts the CRC inside encryption and outside compression", () => {
    const big = encodeCompound(Array.from({ length: 10 }, () => alive));
    const nonce = new Uint8Array(12).fill(1);
    const p = encodePacket(big, { compress: true, crc: true, key, encryptionVersion: 1, label: "L", nonce });
    assert.deepEqual(p.subarray(0, 3), Uint8Array.of(244, 1, 76));
    const got = decodePacket(p, { label: "L", keys: [key], verifyIncoming: true });
    assert.deepEqual(got, compressMessage(big));
    assert.deepEqual(
      flattenMessage(got),
      Array.from({ length: 10 }, () => alive),
    );
  });

  it("drops a packet whose label differs (absent header means '')", () => {
    const labelled = encodePacket(alive, { ...plain, label: "a" });
    assert.throws(
      () => decodePacket(labelled, { label: "b", keys: [], verifyIncoming: true }),
      SecurityError,
    );
    assert.throws(() => decodePacket(labelled, { label: "", keys: [], verifyIncoming: true }), SecurityError);
    assert.throws(() => decodePacket(alive, { label: "a", keys: [], verifyIncoming: true }), SecurityError);
  });

  it("with skipInboundLabelCheck refuses any header but still uses the label as AD", () => {
    const opts = { label: "a", skipInboundLabelCheck: true, keys: [key], verifyIncoming: true };
    const labelled = encodePacket(alive, { ...plain, key, label: "a" });
    assert.throws(() => decodePacket(labelled, opts), SecurityError);
    const bare = labelled.subarray(3);
    assert.deepEqual(decodePacket(bare, opts), alive);
  });

  it("tries every key, and falls back to plaintext only without verifyIncoming", () => {
    const enc = encodePacket(alive, { ...plain, key: other });
    assert.deepEqual(decodePacket(enc, { label: "", keys: [key, other], verifyIncoming: true }), alive);
    assert.throws(() => decodePacket(enc, { label: "", keys: [key], verifyIncoming: true }), SecurityError);
    assert.throws(() => decodePacket(alive, { label: "", keys: [key], verifyIncoming: true }), SecurityError);
    assert.deepEqual(decodePacket(alive, { label: "", keys: [key], verifyIncoming: false }), alive);
  });

  it("checks the CRC at the top level", () => {
    const p = addCrc(alive);
    assert.deepEqual(decodePacket(p, { label: "", keys: [], verifyIncoming: true }), alive);
    const bad = p.slice();
    bad[10]! ^= 0xff;
    assert.throws(() => decodePacket(bad, { label: "", keys: [], verifyIncoming: true }), /CRC mismatch/);
    assert.throws(
      () => decodePacket(Uint8Array.of(12, 0), { label: "", keys: [], verifyIncoming: true }),
      DecodeError,
    );
  });

  it("refuses empty packets", () => {
    for (const b of [new Uint8Array(0), addLabelHeader(new Uint8Array(0), "x")]) {
      assert.throws(
        () => decodePacket(b, { label: b.length ? "x" : "", keys: [], verifyIncoming: true }),
        DecodeError,
      );
    }
  });

  it("uses random nonces when none is given", () => {
    const a = encodePacket(alive, { ...plain, key });
    const b = encodePacket(alive, { ...plain, key });
    assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13));
  });
});

describe("flattenMessage", () => {
  const ping = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "x" } });
  const user = encodeMessage({ type: MessageType.User, body: ascii("hi") });

  it("expands nested compounds and compressed messages in order", () => {
    const inner = encodeCompound([user, compressMessage(alive)]);
    const msg = compressMessage(encodeCompound([ping, inner, alive]));
    assert.deepEqual(flattenMessage(msg), [ping, user, alive, alive]);
  });

  it("returns a plain message as its only leaf", () => {
    assert.deepEqual(flattenMessage(alive), [alive]);
  });

  it("drops nested CRC wrappers, empty parts and bad nested parts, and truncated parts", () => {
    const badCompress = Uint8Array.of(MessageType.Compress, 0x81, 0xa4);
    const nestedBad = Uint8Array.of(MessageType.Compound);
    const msg = encodeCompound([addCrc(ping), new Uint8Array(0), badCompress, nestedBad, ping]);
    assert.deepEqual(flattenMessage(msg), [ping]);
    const cut = encodeCompound([ping, alive]);
    assert.deepEqual(flattenMessage(cut.subarray(0, cut.length - 1)), [ping]);
  });

  it("throws only for top-level garbage", () => {
    for (const b of [new Uint8Array(0), Uint8Array.of(7), Uint8Array.of(7, 3, 0), Uint8Array.of(9, 0xc1)]) {
      assert.throws(() => flattenMessage(b), DecodeError);
    }
    assert.throws(() => flattenMessage(addCrc(ping)), DecodeError);
  });

  it("bounds nesting depth, leaf count and total decompressed bytes", () => {
    let deep = ping;
    for (let i = 0; i < 10; i++) deep = encodeCompound([deep]);
    assert.deepEqual(flattenMessage(deep), []);
    assert.deepEqual(flattenMessage(deep, { maxDepth: 11 }), [ping]);
    const many = encodeCompound(Array.from({ length: 200 }, () => ping));
    assert.equal(flattenMessage(many, { maxMessages: 50 }).length, 50);
    const bigInner = compressMessage(
      encodeMessage({ type: MessageType.User, body: new Uint8Array(100_000) }),
    );
    const two = encodeCompound([bigInner, bigInner]);
    assert.equal(flattenMessage(two, { maxDecompressedBytes: 250_000 }).length, 2);
  });

  it("refuses a whole message that decompresses past the bound, wherever the bomb sits", () => {
    const bomb = compressMessage(encodeMessage({ type: MessageType.User, body: new Uint8Array(40 << 20) }));
    assert.ok(bomb.length < 40_000);
    for (const msg of [bomb, encodeCompound([ping, bomb]), encodeCompound([ping, encodeCompound([bomb])])]) {
      assert.throws(
        () => flattenMessage(msg, { maxDecompressedBytes: 65_536 }),
        (err: unknown) => err instanceof LimitError && err.code === "ERR_LIMIT" && err.limit === 65_536,
      );
    }
    // Two parts that fit one by one but not together: the bound is per message, not per part.
    const bigInner = compressMessage(encodeMessage({ type: MessageType.User, body: new Uint8Array(40_000) }));
    assert.throws(
      () => flattenMessage(encodeCompound([bigInner, bigInner]), { maxDecompressedBytes: 65_536 }),
      LimitError,
    );
  });
});

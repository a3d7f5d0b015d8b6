/** Stream messages: push/pull, user messages, the encrypted envelope and framing (§5.2, §6). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError, SecurityError } from "../../src/errors.ts";
import {
  ByteWriter,
  decodeMessage,
  decodePushPull,
  decodeStreamMessage,
  decodeUserStreamMessage,
  encodeMessage,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  MessageType,
  maxPushStateBytes,
  type PushPull,
  streamFrameLength,
  writeMapHeader,
  writeString,
  writeUint,
} from "../../src/wire/index.ts";
import { ascii, hex } from "./helpers.ts";

const key = new Uint8Array(24).fill(8);
const vsn = Uint8Array.of(1, 5, 2, 0, 0, 0);
const pushPull: PushPull = {
  join: false,
  nodes: Array.from({ length: 5 }, (_, i) => ({
    name: `node-${i}`,
    addr: Uint8Array.of(10, 0, 0, i),
    port: 7946 + i,
    meta: i % 2 ? ascii("meta") : new Uint8Array(0),
    incarnation: i * 1000,
    state: (i % 4) as 0 | 1 | 2 | 3,
    vsn,
  })),
  userState: ascii("user-state"),
};

/** A push/pull header with arbitrary (maybe hostile) counts. */
function header(nodes: string, userLen: string): Uint8Array {
  return hex(`0683a44a6f696ec2a54e6f646573${nodes}ac5573657253746174654c656e${userLen}`);
}

describe("push/pull", () => {
  it("round-trips, keeping each Vsn as given", () => {
    const odd = { ...pushPull, nodes: [{ ...pushPull.nodes[0]!, vsn: Uint8Array.of(1, 2) }] };
    for (const pp of [pushPull, odd, { join: true, nodes: [], userState: null }]) {
      const enc = encodePushPull(pp);
      assert.deepEqual(decodePushPull(enc.subarray(1)), pp);
      assert.equal(streamFrameLength(enc), enc.length);
    }
  });

  it("range-checks counts before using them", () => {
    const hostile = [
      ["cf4000000000000000", "00"], // Nodes = 2^62
      ["d3c000000000000000", "00"],
      ["ff", "00"], // Nodes = -1
      ["ce00100001", "00"], // just above 1 Mi
      ["00", "ce01400001"], // user state just above 20 MiB
      ["00", "ff"],
    ];
    for (const [n, u] of hostile) {
      const h = header(n!, u!);
      assert.throws(() => decodePushPull(h.subarray(1)), DecodeError, `${n} ${u}`);
      assert.throws(() => streamFrameLength(h), DecodeError, `${n} ${u}`);
    }
  });

  it("rejects truncated node states and user state", () => {
    const enc = encodePushPull(pushPull);
    for (const cut of [enc.length - 1, enc.length - 11, 40]) {
      assert.throws(() => decodePushPull(enc.subarray(1, cut)), DecodeError, `${cut}`);
    }
    // A huge but legal node count with no states is a truncation error, not an allocation.
    assert.throws(() => decodePushPull(header("ce00100000", "00").subarray(1)), DecodeError);
    assert.equal(streamFrameLength(header("ce00100000", "00")), undefined);
  });
});

describe("stream user message", () => {
  it("round-trips and frames", () => {
    const enc = encodeUserStreamMessage(ascii("hello"));
    assert.deepEqual(enc.subarray(0, 2), Uint8Array.of(8, 0x81));
    assert.deepEqual(decodeUserStreamMessage(enc.subarray(1)), ascii("hello"));
    assert.equal(streamFrameLength(enc), enc.length);
    assert.equal(streamFrameLength(enc.subarray(0, enc.length - 1)), undefined);
  });

  it("rejects negative, oversized and truncated lengths", () => {
    for (const h of ["81aa557365724d73674c656eff", "81aa557365724d73674c656ece01400001"]) {
      assert.throws(() => decodeUserStreamMessage(hex(h)), DecodeError);
      assert.throws(() => streamFrameLength(hex(`08${h}`)), DecodeError);
    }
    assert.throws(() => decodeUserStreamMessage(hex("81aa557365724d73674c656e0301")), DecodeError);
  });
});

describe("stream envelope", () => {
  const msg = encodePushPull(pushPull);
  const nonce = new Uint8Array(12).fill(3);

  it("round-trips every combination of compression, encryption version and label", () => {
    for (const compress of [false, true]) {
      for (const k of [null, key]) {
        for (const encryptionVersion of [0, 1] as const) {
          for (const label of ["", "cluster-a"]) {
            const frame = encodeStreamMessage(msg, { compress, key: k, encryptionVersion, label });
            assert.equal(streamFrameLength(frame), frame.length);
            const opts = { keys: k ? [k] : [], label, verifyIncoming: true };
            assert.deepEqual(decodeStreamMessage(frame, opts), msg);
          }
        }
      }
    }
  });

  it("binds the length and the label into the AD", () => {
    const frame = encodeStreamMessage(msg, { compress: false, key, encryptionVersion: 1, label: "a", nonce });
    assert.throws(
      () => decodeStreamMessage(frame, { keys: [key], label: "b", verifyIncoming: true }),
      SecurityError,
    );
    assert.throws(
      () => decodeStreamMessage(frame, { keys: [key], label: "", verifyIncoming: true }),
      SecurityError,
    );
  });

  it("reports the two §5.2 policy errors", () => {
    const enc = encodeStreamMessage(msg, { compress: false, key, encryptionVersion: 1, label: "" });
    assert.throws(
      () => decodeStreamMessage(enc, { keys: [], label: "", verifyIncoming: true }),
      (e: unknown) =>
        e instanceof SecurityError && /encrypted and encryption is not configured/.test(e.message),
    );
    assert.throws(
      () => decodeStreamMessage(msg, { keys: [key], label: "", verifyIncoming: true }),
      (e: unknown) =>
        e instanceof SecurityError && /configured but remote state is not encrypted/.test(e.message),
    );
    assert.deepEqual(decodeStreamMessage(msg, { keys: [key], label: "", verifyIncoming: false }), msg);
  });

  it("refuses envelopes that claim more than 20 MiB or less than the minimum", () => {
    const big = Uint8Array.of(10, 0x01, 0x40, 0x00, 0x01);
    assert.throws(() => streamFrameLength(big), DecodeError);
    assert.throws(
      () => decodeStreamMessage(big, { keys: [key], label: "", verifyIncoming: true }),
      DecodeError,
    );
    assert.throws(() => streamFrameLength(Uint8Array.of(10, 0, 0, 0, 28)), DecodeError);
    const max = Uint8Array.of(10, 0x01, 0x40, 0x00, 0x00);
    assert.equal(streamFrameLength(max), undefined);
    assert.equal(maxPushStateBytes, 0x01400000);
  });

  it("frames ping, ack and err replies, and refuses other types", () => {
    for (const m of [
      encodeMessage({
        type: MessageType.Ping,
        body: { seqNo: 5, node: "n", sourceAddr: vsn, sourcePort: 1, sourceNode: "s" },
      }),
      encodeMessage({ type: MessageType.AckResp, body: { seqNo: 5, payload: ascii("p") } }),
      encodeMessage({ type: MessageType.Err, body: { error: "remote error" } }),
    ]) {
      const twice = new Uint8Array([...m, ...m]);
      assert.equal(streamFrameLength(twice), m.length);
      assert.deepEqual(
        decodeMessage(decodeStreamMessage(m, { keys: [], label: "", verifyIncoming: true })),
        decodeMessage(m),
      );
    }
    for (const t of [1, 3, 4, 5, 7, 11, 12, 14, 244])
      assert.throws(() => streamFrameLength(Uint8Array.of(t, 0x80)), DecodeError);
  });

  it("decompresses a compressed stream message and refuses an empty one", () => {
    const frame = encodeStreamMessage(msg, { compress: true, key: null, encryptionVersion: 1, label: "" });
    assert.equal(frame[0], MessageType.Compress);
    assert.deepEqual(decodeStreamMessage(frame, { keys: [], label: "", verifyIncoming: false }), msg);
    const empty = hex("0982a4416c676f00a3427566a3000302");
    assert.throws(
      () => decodeStreamMessage(empty, { keys: [], label: "", verifyIncoming: false }),
      DecodeError,
    );
  });

  it("skips unknown keys with nested values when framing", () => {
    const w = new ByteWriter();
    w.u8(MessageType.AckResp);
    writeMapHeader(w, 2);
    writeString(w, "SeqNo");
    writeUint(w, 9);
    writeString(w, "Extra");
    w.bytes(hex("82a161920102a162c0"));
    const m = w.finish();
    assert.equal(streamFrameLength(m), m.length);
    for (let i = 0; i < m.length; i++) assert.equal(streamFrameLength(m.subarray(0, i)), undefined);
  });
});

/**
 * Property tests (fast-check, fixed seeds): encode→decode round trips for every message and every
 * pipeline option, stream framing on every prefix, and hostile input that must only ever produce typed
 * errors within the size limits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeCompound,
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  decodeUserStreamMessage,
  decompressMessage,
  decryptPayload,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  flattenMessage,
  lzwCompress,
  lzwDecompress,
  type Message,
  MessageType,
  makeCompounds,
  type PushPull,
  parseStreamLabelHeader,
  removeLabelHeader,
  streamFrameLength,
} from "../../src/wire/index.ts";
import { onlyTypedErrors } from "./helpers.ts";

const seed = 20261122;
/** Plain-prototype records, so deepEqual compares them with decoded objects. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}
const u32 = fc.nat({ max: 0xffff_ffff });
const u16 = fc.nat({ max: 0xffff });
const name = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 12 }));
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const addr = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** Messages as the decoder returns them (every optional field present). */
const message: fc.Arbitrary<Message> = fc.oneof(
  rec({ seqNo: u32, node: name, sourceAddr: bytes(16), sourcePort: u16, sourceNode: name }).map(
    (body): Message => ({ type: MessageType.Ping, body }),
  ),
  rec({
    seqNo: u32,
    target: addr,
    port: u16,
    node: name,
    nack: fc.boolean(),
    sourceAddr: bytes(16),
    sourcePort: u16,
    sourceNode: name,
  }).map((body): Message => ({ type: MessageType.IndirectPing, body })),
  rec({ seqNo: u32, payload: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 })) }).map(
    (body): Message => ({ type: MessageType.AckResp, body }),
  ),
  rec({ seqNo: u32 }).map((body): Message => ({ type: MessageType.NackResp, body })),
  rec({ error: name }).map((body): Message => ({ type: MessageType.Err, body })),
  rec({ incarnation: u32, node: name, from: name }).map(
    (body): Message => ({ type: MessageType.Suspect, body }),
  ),
  rec({ incarnation: u32, node: name, addr, port: u16, meta: bytes(512), vsn }).map(
    (body): Message => ({ type: MessageType.Alive, body }),
  ),
  rec({ incarnation: u32, node: name, from: name }).map(
    (body): Message => ({ type: MessageType.Dead, body }),
  ),
  bytes(200).map((body): Message => ({ type: MessageType.User, body })),
);

const pushPull: fc.Arbitrary<PushPull> = rec({
  join: fc.boolean(),
  nodes: fc.array(
    rec({
      name,
      addr,
      port: u16,
      meta: bytes(40),
      incarnation: u32,
      state: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
      vsn,
    }),
    { maxLength: 12 },
  ),
  userState: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 })),
});

const key = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.uint8Array({ minLength: 24, maxLength: 24 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
);
const label = fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 30 }));
const version = fc.constantFrom(0 as const, 1 as const);

/** Random damage to valid bytes: truncation, byte flips, insertions, or a splice of random bytes. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 3 })), { maxLength: 6 }))
    .map(([buf, edits]) => {
      let b = Array.from(buf);
      for (const [pos, val, op] of edits) {
        const i = b.length === 0 ? 0 : pos % b.length;
        if (op === 0) b = b.slice(0, i);
        else if (op === 1) b[i] = val;
        else if (op === 2) b.splice(i, 0, val);
        else b.splice(i, 0, 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
      }
      return Uint8Array.from(b);
    });
}

describe("round trips", () => {
  it("every message type decodes to what was encoded", () => {
    fc.assert(
      fc.property(message, (m) => {
        assert.deepEqual(decodeMessage(encodeMessage(m)), m);
      }),
      { seed, numRuns: 400 },
    );
  });

  it("compounds of 1..255 parts, and makeCompounds splits", () => {
    fc.assert(
      fc.property(
        fc.array(bytes(30), { minLength: 1, maxLength: 255 }),
        fc.integer({ min: 1, max: 255 }),
        (parts, max) => {
          const { parts: got, truncated } = decodeCompound(encodeCompound(parts).subarray(1));
          assert.equal(truncated, 0);
          assert.deepEqual(got, parts);
          const split = makeCompounds(parts, max);
          assert.equal(split.length, Math.ceil(parts.length / max));
        },
      ),
      { seed, numRuns: 100 },
    );
  });

  it("the packet pipeline with every option combination", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        key,
        version,
        label,
        (msgs, compress, crc, k, encryptionVersion, lbl) => {
          const leaves = msgs.map(encodeMessage);
          const msg = leaves.length === 1 ? leaves[0]! : encodeCompound(leaves);
          const packet = encodePacket(msg, { compress, crc, key: k, encryptionVersion, label: lbl });
          const plain = decodePacket(packet, { label: lbl, keys: k ? [k] : [], verifyIncoming: true });
          assert.deepEqual(flattenMessage(plain), flattenMessage(msg));
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it("LZW round-trips arbitrary data", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          bytes(3000),
          fc.array(fc.constantFrom(0, 1, 97), { maxLength: 20000 }).map((a) => Uint8Array.from(a)),
        ),
        (d) => {
          assert.deepEqual(lzwDecompress(lzwCompress(d)), d);
        },
      ),
      { seed, numRuns: 100 },
    );
  });
});

describe("stream framing", () => {
  const streamMessage = fc.oneof(
    pushPull.map(encodePushPull),
    bytes(200).map(encodeUserStreamMessage),
    message
      .filter(
        (m) => m.type === MessageType.Ping || m.type === MessageType.AckResp || m.type === MessageType.Err,
      )
      .map(encodeMessage),
  );

  it("undefined on every proper prefix, the length on the whole frame, and decodes back", () => {
    fc.assert(
      fc.property(
        streamMessage,
        fc.boolean(),
        key,
        version,
        label,
        bytes(20),
        (msg, compress, k, encryptionVersion, lbl, tail) => {
          const frame = encodeStreamMessage(msg, { compress, key: k, encryptionVersion, label: lbl });
          for (let i = 0; i < frame.length; i++)
            assert.equal(streamFrameLength(frame.subarray(0, i)), undefined);
          assert.equal(streamFrameLength(frame), frame.length);
          const withTail = new Uint8Array([...frame, ...tail]);
          assert.equal(streamFrameLength(withTail), frame.length);
          const plain = decodeStreamMessage(frame, { keys: k ? [k] : [], label: lbl, verifyIncoming: true });
          assert.deepEqual(plain, msg);
          if (msg[0] === MessageType.PushPull) assert.ok(decodePushPull(plain.subarray(1)));
          if (msg[0] === MessageType.User) assert.ok(decodeUserStreamMessage(plain.subarray(1)));
        },
      ),
      { seed, numRuns: 120 },
    );
  });
});

describe("hostile input yields only typed errors, within limits", () => {
  const validPacket = fc
    .tuple(fc.array(message, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean())
    .map(([msgs, compress, crc]) => {
      const leaves = msgs.map(encodeMessage);
      return encodePacket(encodeCompound(leaves), {
        compress,
        crc,
        key: null,
        encryptionVersion: 1,
        label: "",
      });
    });
  const anyBytes = fc.oneof(bytes(300), mutated(validPacket), mutated(pushPull.map(encodePushPull)));

  it("message, compound, packet and flatten decoders", () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        onlyTypedErrors(() => decodeMessage(b));
        onlyTypedErrors(() => decodeCompound(b));
        onlyTypedErrors(() => removeLabelHeader(b));
        onlyTypedErrors(() => parseStreamLabelHeader(b));
        onlyTypedErrors(() => flattenMessage(b, { maxDecompressedBytes: 1 << 20 }));
        onlyTypedErrors(() => decodePacket(b, { label: "", keys: [], verifyIncoming: true }));
        onlyTypedErrors(() =>
          decodePacket(b, { label: "", keys: [new Uint8Array(16)], verifyIncoming: false }),
        );
        onlyTypedErrors(() => decryptPayload([new Uint8Array(16)], b, new Uint8Array(0)));
      }),
      { seed, numRuns: 400 },
    );
  });

  it("stream decoders and framing", () => {
    fc.assert(
      fc.property(anyBytes, fc.constantFrom(0, 2, 6, 8, 9, 10, 13), (b, type) => {
        const framed = b.length > 0 ? Uint8Array.of(type, ...b.subarray(1)) : b;
        for (const x of [b, framed]) {
          onlyTypedErrors(() => streamFrameLength(x));
          onlyTypedErrors(() => decodeStreamMessage(x, { keys: [], label: "", verifyIncoming: false }));
          onlyTypedErrors(() => decodePushPull(x));
          onlyTypedErrors(() => decodeUserStreamMessage(x));
          onlyTypedErrors(() => decompressMessage(x, 1 << 20));
        }
      }),
      { seed, numRuns: 400 },
    );
  });

  it("deeply nested unknown values decode within the depth limit or fail typed", () => {
    const nested = fc.array(fc.constantFrom(0x91, 0x81, 0xdc), { maxLength: 80 }).map((openers) => {
      // Each opener wraps what follows: an array of one, or a map of one (key 0x00) → value.
      const bytes: number[] = [];
      for (const o of openers) {
        if (o === 0x91) bytes.push(0x91);
        else if (o === 0x81) bytes.push(0x81, 0x00);
        else bytes.push(0xdc, 0x00, 0x01);
      }
      bytes.push(0xc0);
      return Uint8Array.from(bytes);
    });
    fc.assert(
      fc.property(nested, (value) => {
        // ackResp with an unknown key "X" holding the nested value, then SeqNo 7.
        const msg = Uint8Array.of(
          MessageType.AckResp,
          0x82,
          0xa1,
          0x58,
          ...value,
          0xa5,
          0x53,
          0x65,
          0x71,
          0x4e,
          0x6f,
          7,
        );
        onlyTypedErrors(() => {
          const m = decodeMessage(msg);
          assert.ok(m.type === MessageType.AckResp && m.body.seqNo === 7);
        });
        onlyTypedErrors(() => streamFrameLength(msg));
      }),
      { seed, numRuns: 200 },
    );
  });

  it("LZW: random codes never exceed the output limit", () => {
    fc.assert(
      fc.property(bytes(4000), fc.integer({ min: 0, max: 100_000 }), (b, limit) => {
        try {
          assert.ok(lzwDecompress(b, limit).length <= limit);
        } catch (err) {
          onlyTypedErrors(() => {
            throw err;
          });
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("LZW bombs stop at the limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 300_000 }), fc.nat({ max: 255 }), (n, v) => {
        const bomb = lzwCompress(new Uint8Array(n).fill(v));
        assert.throws(() => lzwDecompress(bomb, n - 1), /exceeds/);
        assert.equal(lzwDecompress(bomb, n).length, n);
      }),
      { seed, numRuns: 20 },
    );
  });
});

/** The hex vectors of memberlist-wire.md §16 (produced by the real Go memberlist), byte for byte. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addCrc,
  addLabelHeader,
  compressMessage,
  decodeCompound,
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  decodeStruct,
  decompressMessage,
  decryptPayload,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encryptPayload,
  lzwCompress,
  lzwDecompress,
  type Message,
  MessageType,
  MsgpackReader,
  pushPullHeaderSchema,
  streamFrameLength,
  stripCrc,
} from "../../src/wire/index.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

const ip = Uint8Array.of(10, 0, 0, 1);
const vsn = Uint8Array.of(1, 5, 2, 0, 0, 0);
const key = ascii("0123456789abcdef");
const nonce = Uint8Array.of(0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab);

const pingHex =
  "0085a44e6f6465a66e6f64652d62a55365714e6f01aa536f7572636541646472a40a000001aa536f757263654e6f6465a66e6f64652d61aa536f75726365506f7274cd1f0a";
const suspectHex = "0383a446726f6da66e6f64652d61ab496e6361726e6174696f6e03a44e6f6465a66e6f64652d62";
const aliveHex =
  "0486a441646472a40a000001ab496e6361726e6174696f6e01a44d657461a16da44e6f6465a66e6f64652d61a4506f7274cd1f0aa356736ea6010502000000";
const ackHex = "0282a75061796c6f6164c0a55365714e6f01";

const messageVectors: Array<[string, Message, string]> = [
  [
    "ping",
    {
      type: MessageType.Ping,
      body: { seqNo: 1, node: "node-b", sourceAddr: ip, sourcePort: 7946, sourceNode: "node-a" },
    },
    pingHex,
  ],
  [
    "indirectPingReq",
    {
      type: MessageType.IndirectPing,
      body: {
        seqNo: 2,
        target: ip,
        port: 7946,
        node: "node-c",
        nack: true,
        sourceAddr: ip,
        sourcePort: 7946,
        sourceNode: "node-a",
      },
    },
    "0188a44e61636bc3a44e6f6465a66e6f64652d63a4506f7274cd1f0aa55365714e6f02aa536f7572636541646472a40a000001aa536f757263654e6f6465a66e6f64652d61aa536f75726365506f7274cd1f0aa6546172676574a40a000001",
  ],
  ["ackResp", { type: MessageType.AckResp, body: { seqNo: 1, payload: null } }, ackHex],
  ["nackResp", { type: MessageType.NackResp, body: { seqNo: 2 } }, "0b81a55365714e6f02"],
  ["errResp", { type: MessageType.Err, body: { error: "boom" } }, "0d81a54572726f72a4626f6f6d"],
  [
    "suspect",
    { type: MessageType.Suspect, body: { incarnation: 3, node: "node-b", from: "node-a" } },
    suspectHex,
  ],
  [
    "alive",
    {
      type: MessageType.Alive,
      body: { incarnation: 1, node: "node-a", addr: ip, port: 7946, meta: ascii("m"), vsn },
    },
    aliveHex,
  ],
  [
    "dead (a leave)",
    { type: MessageType.Dead, body: { incarnation: 1, node: "node-a", from: "node-a" } },
    "0583a446726f6da66e6f64652d61ab496e6361726e6174696f6e01a44e6f6465a66e6f64652d61",
  ],
];

describe("§16 message vectors", () => {
  for (const [name, msg, want] of messageVectors) {
    it(`encodes ${name} exactly`, () => {
      assert.equal(toHex(encodeMessage(msg)), want);
    });
    it(`decodes ${name} back`, () => {
      assert.deepEqual(decodeMessage(hex(want)), normalise(msg));
    });
  }

  it("ping without source fields omits them (omitempty)", () => {
    const b = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "" } });
    assert.equal(toHex(b), "0082a44e6f6465a0a55365714e6f01");
  });
});

/** Decoded messages carry every field; fill the optional ones the way the decoder does. */
function normalise(m: Message): Message {
  if (m.type === MessageType.Ping || m.type === MessageType.IndirectPing) {
    return {
      ...m,
      body: {
        ...m.body,
        sourceAddr: m.body.sourceAddr ?? new Uint8Array(0),
        sourcePort: m.body.sourcePort ?? 0,
        sourceNode: m.body.sourceNode ?? "",
      },
    } as Message;
  }
  return m;
}

describe("§16 framing vectors", () => {
  it("compound[ping, suspect]", () => {
    const c = encodeCompound([hex(pingHex), hex(suspectHex)]);
    assert.equal(
      toHex(c),
      "0702004500270085a44e6f6465a66e6f64652d62a55365714e6f01aa536f7572636541646472a40a000001aa536f757263654e6f6465a66e6f64652d61aa536f75726365506f7274cd1f0a0383a446726f6da66e6f64652d61ab496e6361726e6174696f6e03a44e6f6465a66e6f64652d62",
    );
    assert.equal(toHex(c), `070200450027${pingHex}${suspectHex}`);
    const { parts, truncated } = decodeCompound(c.subarray(1));
    assert.equal(truncated, 0);
    assert.deepEqual(parts.map(toHex), [pingHex, suspectHex]);
  });

  const compressedAliveHex =
    "0982a4416c676f00a3427566da00470009182215840c1939a4140000106055123763c2c87113864e9a376e02906a52864e98506d48397943a68c293724cbb408430aca1b39749a7d5030caca1c37a6021410b0104040";

  it("compress(alive)", () => {
    assert.equal(toHex(compressMessage(hex(aliveHex))), compressedAliveHex);
    assert.equal(toHex(decompressMessage(hex(compressedAliveHex).subarray(1))), aliveHex);
  });

  it("CRC-wrapped alive", () => {
    const wrapped = addCrc(hex(aliveHex));
    assert.equal(toHex(wrapped), `0cad613c17${aliveHex}`);
    assert.equal(toHex(stripCrc(wrapped)), aliveHex);
  });

  const v1Empty =
    "01a0a1a2a3a4a5a6a7a8a9aaabc738d0f28ba5518616248ae339a099cf63b7dc5c5bac21b0295fde53a42e099d01fc";
  const v1Label =
    "01a0a1a2a3a4a5a6a7a8a9aaabc738d0f28ba5518616248ae339a099cf63b7d7cc0cbc8cc5247d45d583d03c9bce88";
  const v0Empty =
    "00a0a1a2a3a4a5a6a7a8a9aaabc738d0f28ba5518616248ae339a099cf63b75c09342a611b159eef8ab191c84b0565f0f88186b747fb7e8a84c2d19620";

  it("AES-GCM v1 of the ack, AD empty and AD 'lbl'", () => {
    assert.equal(toHex(encryptPayload(1, key, hex(ackHex), new Uint8Array(0), nonce)), v1Empty);
    assert.equal(toHex(encryptPayload(1, key, hex(ackHex), ascii("lbl"), nonce)), v1Label);
    assert.equal(toHex(decryptPayload([key], hex(v1Empty), new Uint8Array(0))), ackHex);
    assert.equal(toHex(decryptPayload([key], hex(v1Label), ascii("lbl"))), ackHex);
  });

  it("AES-GCM v0 of the ack (PKCS#7)", () => {
    assert.equal(toHex(encryptPayload(0, key, hex(ackHex), new Uint8Array(0), nonce)), v0Empty);
    assert.equal(toHex(decryptPayload([key], hex(v0Empty), new Uint8Array(0))), ackHex);
  });

  it("labelled encrypted UDP packet", () => {
    const want = `f4036c626c${v1Label}`;
    const opts = { compress: false, crc: false, key, encryptionVersion: 1 as const, label: "lbl", nonce };
    assert.equal(toHex(encodePacket(hex(ackHex), opts)), want);
    assert.equal(toHex(addLabelHeader(hex(v1Label), "lbl")), want);
    const plain = decodePacket(hex(want), { label: "lbl", keys: [key], verifyIncoming: true });
    assert.equal(toHex(plain), ackHex);
  });

  const pushPullHex =
    "0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656e0287a441646472a40a000001ab496e6361726e6174696f6e01a44d657461c0a44e616d65a66e6f64652d61a4506f7274cd1f0aa5537461746500a356736ea60105020000007573";
  const pushPull = {
    join: true,
    nodes: [
      {
        name: "node-a",
        addr: ip,
        port: 7946,
        meta: new Uint8Array(0),
        incarnation: 1,
        state: 0 as const,
        vsn,
      },
    ],
    userState: ascii("us"),
  };

  it("push/pull plaintext", () => {
    assert.equal(toHex(encodePushPull(pushPull)), pushPullHex);
    assert.deepEqual(decodePushPull(hex(pushPullHex).subarray(1)), pushPull);
    assert.equal(streamFrameLength(hex(pushPullHex)), pushPullHex.length / 2);
  });

  it("push/pull as an encrypted stream message with label 'lbl'", () => {
    const want =
      "0a0000008001a0a1a2a3a4a5a6a7a8a9aaabc339d3e885b5532ad20e25220fb6e92d59c5377569500e617edc84eabd186204d4a201506c7f58fc4f8c7c83ddb48f9b3419f66b2c9c522023d4685660abd4a4c495109002158b45831278000214f7b8cf4536ba1445a3a2fe08d6e5376c45b953c48f0ffe934aba6b081658b0b6353532e915";
    const opts = { compress: false, key, encryptionVersion: 1 as const, label: "lbl", nonce };
    assert.equal(toHex(encodeStreamMessage(hex(pushPullHex), opts)), want);
    assert.equal(streamFrameLength(hex(want)), want.length / 2);
    const plain = decodeStreamMessage(hex(want), { keys: [key], label: "lbl", verifyIncoming: true });
    assert.equal(toHex(plain), pushPullHex);
  });

  it("decodes both codecs' pushPullHeader{Nodes:200, UserStateLen:70000}", () => {
    for (const h of [
      "83a44a6f696ec2a54e6f646573ccc8ac5573657253746174654c656ece00011170",
      "83a44a6f696ec2a54e6f646573d100c8ac5573657253746174654c656ed200011170",
    ]) {
      const got = decodeStruct(new MsgpackReader(hex(h)), pushPullHeaderSchema);
      assert.deepEqual(got, { nodes: 200, userStateLen: 70000, join: false });
    }
  });

  it("we encode Go ints in the old codec's unsigned forms", () => {
    const pp = encodePushPull({ join: false, nodes: [], userState: null });
    assert.equal(toHex(pp), "0683a44a6f696ec2a54e6f64657300ac5573657253746174654c656e00");
  });
});

describe("§7/§16 LZW vectors", () => {
  const cases: Array<[string, string]> = [
    ["", "000302"],
    ["a", "00c30404"],
    ["hello hello hello hello", "00d19461c3e60d0881040d222c787060c180"],
  ];
  for (const [input, want] of cases) {
    it(`compresses ${JSON.stringify(input)}`, () => {
      assert.equal(toHex(lzwCompress(ascii(input))), want);
      assert.equal(new TextDecoder().decode(lzwDecompress(hex(want))), input);
    });
  }
});

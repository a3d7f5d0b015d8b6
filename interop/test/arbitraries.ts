/** fast-check arbitraries for wire values within what Go memberlist can represent. */

import {
  encodeCompound,
  encodeMessage,
  encodePushPull,
  encodeUserStreamMessage,
  type Message,
  MessageType,
  type NodeState,
  type PushNodeState,
  type PushPull,
} from "@shoal/memberlist/wire";
import fc from "fast-check";

const u16 = fc.integer({ min: 0, max: 0xffff });
/** Go rewrites a push/pull port of 0 to its own bind port, so node states use 1..65535. */
const port = fc.integer({ min: 1, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const text = fc.string({ unit: "binary", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 80 });
const ip = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** Any message of the single-body types, plus the UDP user message. */
export const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  fc
    .record({ seqNo: u32, node: text, sourceAddr: ip, sourcePort: u16, sourceNode: text })
    .map((body): Message => ({ type: MessageType.Ping, body })),
  fc
    .record({
      seqNo: u32,
      target: ip,
      port: u16,
      node: text,
      nack: fc.boolean(),
      sourceAddr: fc.oneof(ip, fc.constant(new Uint8Array(0))),
      sourcePort: u16,
      sourceNode: text,
    })
    .map((body): Message => ({ type: MessageType.IndirectPing, body })),
  fc
    .record({ seqNo: u32, payload: fc.option(bytes, { nil: null }) })
    .map((body): Message => ({ type: MessageType.AckResp, body })),
  fc.record({ seqNo: u32 }).map((body): Message => ({ type: MessageType.NackResp, body })),
  fc.record({ error: text }).map((body): Message => ({ type: MessageType.Err, body })),
  fc
    .record({ incarnation: u32, node: text, from: text })
    .map((body): Message => ({ type: MessageType.Suspect, body })),
  fc
    .record({ incarnation: u32, node: text, addr: ip, port: u16, meta: bytes, vsn })
    .map((body): Message => ({ type: MessageType.Alive, body })),
  fc
    .record({ incarnation: u32, node: text, from: text })
    .map((body): Message => ({ type: MessageType.Dead, body })),
  bytes.map((body): Message => ({ type: MessageType.User, body })),
);

/** Messages Go accepts in a UDP packet (an error response only travels on streams). */
export const anyPacketMessage = anyMessage.filter((m) => m.type !== MessageType.Err);

/** A plaintext packet body: one packet message alone, or up to 20 in a compound. */
export const anyPacketBody: fc.Arbitrary<Uint8Array> = fc
  .array(anyPacketMessage, { minLength: 1, maxLength: 20 })
  .map((msgs) => (msgs.length === 1 ? encodeMessage(msgs[0]!) : encodeCompound(msgs.map(encodeMessage))));

const nodeState: fc.Arbitrary<PushNodeState> = fc.record({
  name: text,
  addr: ip,
  port,
  meta: bytes,
  incarnation: u32,
  state: fc.constantFrom<NodeState>(0, 1, 2, 3),
  vsn,
});

/** A push/pull with up to 40 node states (enough for counts past the msgpack fixint range with 200). */
export const anyPushPull: fc.Arbitrary<PushPull> = fc.record({
  join: fc.boolean(),
  nodes: fc.oneof(
    fc.array(nodeState, { maxLength: 8 }),
    fc.array(nodeState, { minLength: 128, maxLength: 140 }),
  ),
  userState: fc.option(fc.uint8Array({ maxLength: 400 }), { nil: null }),
});

/** AES keys of every size memberlist accepts. */
export const anyKey = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.uint8Array({ minLength: 24, maxLength: 24 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
);

/** Packet framing options (no label: memberlist 0.2.2 has none). */
export const anyPacketFraming = fc.record({
  compress: fc.boolean(),
  crc: fc.boolean(),
  key: fc.option(anyKey, { nil: null }),
  encryptionVersion: fc.constantFrom<0 | 1>(0, 1),
});

/** A complete plaintext stream message: push/pull, stream user message, or a ping, ack or err. */
export const anyStreamMessage: fc.Arbitrary<Uint8Array> = fc.oneof(
  anyPushPull.map(encodePushPull),
  fc.uint8Array({ maxLength: 300 }).map(encodeUserStreamMessage),
  anyMessage
    .filter(
      (m) => m.type === MessageType.Ping || m.type === MessageType.AckResp || m.type === MessageType.Err,
    )
    .map(encodeMessage),
);

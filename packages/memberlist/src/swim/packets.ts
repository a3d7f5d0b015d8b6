/**
 * The packet (UDP) path: sending with piggybacked gossip, and dispatching what arrives
 * (memberlist-wire.md §2.1, §2.2, §4.6, §10.3).
 */
import type { Address, Packet } from "../driver.ts";
import { LimitError, SecurityError } from "../errors.ts";
import {
  bytesToIp,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  encryptionOverhead,
  flattenMessage,
  labelOverhead,
  makeCompounds,
} from "../wire/index.ts";
import type { IndirectPingReq, Ping } from "../wire/messages.ts";
import { MessageType } from "../wire/messages.ts";
import type { Engine } from "./engine.ts";
import type { NodeRecord } from "./node-record.ts";
import { aliveNode, deadNode, suspectNode } from "./state.ts";

/** Bytes of a compound header, and of each part's length prefix. */
const compoundHeaderOverhead = 2;
const compoundOverhead = 2;
/** The type byte in front of a user broadcast. */
const userMsgOverhead = 1;

/** Label and encryption bytes that every datagram we send carries. */
export function packetOverhead(e: Engine): number {
  const enc = e.sendKey() ? encryptionOverhead(e.encryptionVersion()) : 0;
  return labelOverhead(e.config.label) + enc;
}

/** Encodes one message (or compound) through compression, CRC, encryption and label, and sends it. */
export function sendPacket(e: Engine, to: Address, msg: Uint8Array, node?: NodeRecord): void {
  if (e.stopped) return;
  const key = e.sendKey();
  let buf: Uint8Array;
  try {
    buf = encodePacket(msg, {
      compress: e.config.enableCompression,
      // CRC only to peers known to speak protocol 5; Go accepts it on any packet at the top level.
      crc: node !== undefined && (node.vsn[1] ?? 0) >= 5,
      key,
      encryptionVersion: e.encryptionVersion(),
      label: e.config.label,
      ...(key ? { nonce: e.runtime.randomBytes(12) } : {}),
    });
  } catch (err) {
    e.log.error("failed to encode a packet", { err: String(err) });
    return;
  }
  e.metrics.incrCounter(["memberlist", "udp", "sent"], buf.length);
  e.transport.writeTo(buf, to).catch((err: unknown) => {
    e.log.debug("failed to send a packet", { to: `${to.host}:${to.port}`, err: String(err) });
  });
}

/** Sends `msg` with as much queued gossip piggybacked as fits in one datagram. */
export function sendMsg(e: Engine, to: Address, msg: Uint8Array, node?: NodeRecord): void {
  const avail = e.config.udpBufferSize - msg.length - compoundHeaderOverhead - packetOverhead(e);
  const extra = getBroadcasts(e, compoundOverhead, avail);
  if (extra.length === 0) {
    sendPacket(e, to, msg, node);
    return;
  }
  for (const c of makeCompounds([msg, ...extra])) sendPacket(e, to, c, node);
}

/** Our own broadcasts first, then the delegate's user broadcasts in the space left. */
export function getBroadcasts(e: Engine, overhead: number, limit: number): Uint8Array[] {
  const toSend = e.broadcasts.getBroadcasts(overhead, limit);
  const d = e.config.delegate;
  if (!d?.getBroadcasts) return toSend;
  let used = 0;
  for (const m of toSend) used += m.length + overhead;
  const avail = limit - used;
  if (avail > overhead + userMsgOverhead) {
    for (const payload of d.getBroadcasts(overhead + userMsgOverhead, avail)) {
      const framed = new Uint8Array(payload.length + 1);
      framed[0] = MessageType.User;
      framed.set(payload, 1);
      toSend.push(framed);
    }
  }
  return toSend;
}

/** Why a datagram (or a message in it) was dropped: the `reason` label of the drop counter. */
export type PacketDropReason =
  | "decompression_limit"
  | "security"
  | "malformed"
  | "unsupported_type"
  | "cidr"
  | "wrong_node";

const droppedKey = ["shoal", "memberlist", "packet", "dropped"] as const;

/** Counts a dropped datagram or message and warns about it (rate-limited: see JunkLog). */
function dropPacket(e: Engine, reason: PacketDropReason, msg: string, fields: Record<string, unknown>): void {
  e.metrics.incrCounter(droppedKey, 1, [{ name: "reason", value: reason }]);
  e.junk.warn(msg, fields);
}

function decodeFailure(err: unknown): PacketDropReason {
  if (err instanceof LimitError) return "decompression_limit";
  if (err instanceof SecurityError) return "security";
  return "malformed";
}

/** Entry point for every received datagram. Bad packets are counted and dropped, never thrown. */
export function handlePacket(e: Engine, p: Packet): void {
  if (e.stopped) return;
  e.metrics.incrCounter(["memberlist", "udp", "received"], p.buf.length);
  let msg: Uint8Array;
  let leaves: Uint8Array[];
  try {
    msg = decodePacket(p.buf, {
      label: e.config.label,
      skipInboundLabelCheck: e.config.skipInboundLabelCheck,
      keys: e.receiveKeys(),
      verifyIncoming: e.config.gossipVerifyIncoming,
    });
    // Bounded well below Go's 40 MiB: see maxDecompressedPacketBytes.
    leaves = flattenMessage(msg, { maxDecompressedBytes: e.config.maxDecompressedPacketBytes });
  } catch (err) {
    dropPacket(e, decodeFailure(err), "dropped a packet", {
      from: `${p.from.host}:${p.from.port}`,
      err: String(err),
    });
    return;
  }
  // Go bounds queued work per class; we handle inline but never more than that per packet.
  const n = Math.min(leaves.length, e.config.handoffQueueDepth);
  for (let i = 0; i < n && !e.stopped; i++) handleLeaf(e, leaves[i]!, p);
}

function handleLeaf(e: Engine, leaf: Uint8Array, p: Packet): void {
  let m: ReturnType<typeof decodeMessage>;
  try {
    m = decodeMessage(leaf);
  } catch (err) {
    dropPacket(e, "malformed", "dropped a malformed message", {
      from: `${p.from.host}:${p.from.port}`,
      type: leaf[0],
      err: String(err),
    });
    return;
  }
  switch (m.type) {
    case MessageType.Ping:
      handlePing(e, m.body, p);
      break;
    case MessageType.IndirectPing:
      handleIndirectPing(e, m.body, p);
      break;
    case MessageType.AckResp:
      e.deliverAck(m.body.seqNo, m.body.payload, p.timestamp);
      break;
    case MessageType.NackResp:
      e.deliverNack(m.body.seqNo);
      break;
    case MessageType.Suspect:
      suspectNode(e, m.body);
      break;
    case MessageType.Alive:
      if (!e.ipAllowedHost(p.from.host)) {
        dropPacket(e, "cidr", "dropped an alive message from an address not in cidrsAllowed", {
          from: p.from.host,
        });
        return;
      }
      aliveNode(e, m.body, null, false);
      break;
    case MessageType.Dead:
      deadNode(e, m.body);
      break;
    case MessageType.User:
      e.hooks.message(m.body);
      break;
    default:
      dropPacket(e, "unsupported_type", "dropped a message of a type not supported on packets", {
        from: `${p.from.host}:${p.from.port}`,
        type: m.type,
      });
  }
}

/** Where to answer: the Source* fields when present (our socket's port may differ), else the sender. */
function replyAddress(
  sourceAddr: Uint8Array | undefined,
  sourcePort: number | undefined,
  from: Address,
): Address {
  if (sourceAddr && sourceAddr.length > 0 && sourcePort && sourcePort > 0) {
    try {
      return { host: bytesToIp(sourceAddr), port: sourcePort };
    } catch {
      return from;
    }
  }
  return from;
}

function handlePing(e: Engine, ping: Ping, p: Packet): void {
  // A ping for another name means a node restarted under a new name at this address: stay silent.
  if (ping.node !== "" && ping.node !== e.config.name) {
    dropPacket(e, "wrong_node", "got a ping for another node name", { node: ping.node, from: p.from.host });
    return;
  }
  const payload = e.config.ping?.ackPayload() ?? null;
  const ack = encodeMessage({ type: MessageType.AckResp, body: { seqNo: ping.seqNo, payload } });
  const to = replyAddress(ping.sourceAddr, ping.sourcePort, p.from);
  sendMsg(e, to, ack, ping.sourceNode ? e.members.get(ping.sourceNode) : undefined);
}

function handleIndirectPing(e: Engine, ind: IndirectPingReq, p: Packet): void {
  let port = ind.port;
  if (e.config.protocolVersion < 2 || port === 0) port = e.transport.bindPort;
  let targetHost: string;
  try {
    targetHost = bytesToIp(ind.target);
  } catch {
    dropPacket(e, "malformed", "dropped an indirect ping with a bad target address", { from: p.from.host });
    return;
  }
  const requester = replyAddress(ind.sourceAddr, ind.sourcePort, p.from);
  const requesterNode = ind.sourceNode ? e.members.get(ind.sourceNode) : undefined;
  const localSeq = e.nextSeqNo();
  const ping = encodeMessage({
    type: MessageType.Ping,
    body: {
      seqNo: localSeq,
      node: ind.node,
      sourceAddr: e.advertise.addrBytes,
      sourcePort: e.advertise.port,
      sourceNode: e.config.name,
    },
  });
  e.setAckHandler(
    localSeq,
    e.config.probeTimeout,
    () => {
      const ack = encodeMessage({ type: MessageType.AckResp, body: { seqNo: ind.seqNo, payload: null } });
      sendMsg(e, requester, ack, requesterNode);
    },
    () => {},
    () => {
      if (!ind.nack) return;
      const nack = encodeMessage({ type: MessageType.NackResp, body: { seqNo: ind.seqNo } });
      sendMsg(e, requester, nack, requesterNode);
    },
  );
  sendMsg(e, { host: targetHost, port }, ping, e.members.get(ind.node));
}

/**
 * The stream (TCP) path: one exchange per connection — push/pull state sync, the TCP fallback ping,
 * and reliable user messages (memberlist-wire.md §5.2, §6, §8).
 */

import type { Address, Stream } from "../driver.ts";
import { DecodeError, LimitError, NetworkError, SecurityError } from "../errors.ts";
import {
  decodeMessage,
  decodePushPull,
  decodeStreamMessage,
  decodeUserStreamMessage,
  encodeMessage,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  maxDecompressedBytes,
  maxPushStateBytes,
  parseStreamLabelHeader,
  streamFrameLength,
  streamLabelHeader,
} from "../wire/index.ts";
import type { Ping, PushPull } from "../wire/messages.ts";
import { MessageType } from "../wire/messages.ts";
import { StreamReader } from "../wire/stream-reader.ts";
import type { Engine } from "./engine.ts";
import { localNodeStates, mergeRemoteState } from "./state.ts";

/** Go refuses the 128th concurrent inbound push/pull, so a join storm cannot exhaust a node. */
const maxPushPullRequests = 128;
/** An encrypted frame adds 5 bytes of framing and at most 45 of encryption to the 20 MiB payload limit. */
const maxFrameBytes = maxPushStateBytes + 64;

/** The frame length of an optional stream label header: 0 when absent, undefined until decidable. */
function labelHeaderLength(buf: Uint8Array): number | undefined {
  return parseStreamLabelHeader(buf)?.consumed;
}

/** A deadline shared by every read of one exchange. */
function deadline(e: Engine, ms: number) {
  const until = e.runtime.now() + ms;
  return () => ({
    timeoutMs: Math.max(0, until - e.runtime.now()),
    setTimer: (t: number, fn: () => void) => e.runtime.setTimer(t, fn),
  });
}

async function writeMessage(e: Engine, stream: Stream, msg: Uint8Array, label: string): Promise<void> {
  const key = e.sendKey();
  const framed = encodeStreamMessage(msg, {
    compress: e.config.enableCompression,
    key,
    encryptionVersion: e.encryptionVersion(),
    label,
    ...(key ? { nonce: e.runtime.randomBytes(12) } : {}),
  });
  e.metrics.incrCounter(["memberlist", "tcp", "sent"], framed.length);
  await stream.write(framed);
}

/**
 * The frame length of a stream message, refusing at its first byte a plaintext message where
 * encryption is required: a sender without the key cannot make us buffer anything but an encrypted
 * envelope (which the inbound byte budget and the read deadline bound).
 */
function frameLengthFor(e: Engine) {
  if (e.receiveKeys().length === 0 || !e.config.gossipVerifyIncoming) return streamFrameLength;
  return (buf: Uint8Array): number | undefined => {
    if (buf.length > 0 && buf[0] !== MessageType.Encrypt) {
      throw new SecurityError("encryption is configured but remote state is not encrypted");
    }
    return streamFrameLength(buf);
  };
}

/** Bytes of decoded inbound messages reserved from the inbound stream budget, given back at the end. */
interface Held {
  bytes: number;
}

/**
 * Reads and decodes one message. Inbound (`held` given), the decoded message is reserved from the
 * inbound stream byte budget while the exchange holds it, and decompression stops where the
 * budget's room ends: a frame of a few KB that expands to 40 MiB would otherwise sit outside the
 * bound that caps unfinished frames. Past the room: LimitError.
 */
async function readMessage(
  e: Engine,
  reader: StreamReader,
  label: string,
  dl: ReturnType<typeof deadline>,
  held?: Held,
) {
  const frame = await reader.readFrame(frameLengthFor(e), maxFrameBytes, dl());
  const budget = e.inboundStreamBytes;
  const room = held === undefined ? undefined : Math.min(maxDecompressedBytes, budget.limit - budget.inUse);
  const plain = decodeStreamMessage(frame, {
    keys: e.receiveKeys(),
    label,
    verifyIncoming: e.config.gossipVerifyIncoming,
    ...(room === undefined ? {} : { maxDecompressedBytes: Math.max(0, room) }),
  });
  if (held !== undefined) {
    if (!budget.tryReserve(plain.length)) {
      throw new LimitError(`stream messages would hold more than ${budget.limit} bytes`, budget.limit);
    }
    held.bytes += plain.length;
  }
  return plain;
}

/** Decodes a push/pull body and applies Go's port fix-up (protocol 1 and port 0 mean "my bind port"). */
function decodeRemoteState(e: Engine, plain: Uint8Array): PushPull {
  e.metrics.addSample(["memberlist", "size", "remote"], plain.length);
  const remote = decodePushPull(plain.subarray(1));
  for (const n of remote.nodes) {
    if (e.config.protocolVersion < 2 || n.port === 0) n.port = e.transport.bindPort;
  }
  return remote;
}

function localState(e: Engine, join: boolean): Uint8Array {
  const userState = e.config.delegate?.localState?.(join) ?? null;
  const state = encodePushPull({ join, nodes: localNodeStates(e), userState });
  e.metrics.addSample(["memberlist", "size", "local"], state.length);
  return state;
}

const refusedKey = ["shoal", "memberlist", "stream", "refused"] as const;

/** Why an inbound stream was refused: the `reason` label of the refusal counter. */
export type StreamRefusalReason = "too_many_streams" | "buffer_limit" | "push_pull_limit";

function refuseStream(e: Engine, reason: StreamRefusalReason, msg: string, from: string): void {
  e.metrics.incrCounter(refusedKey, 1, [{ name: "reason", value: reason }]);
  e.junk.warn(msg, { from });
}

/**
 * Serves one inbound stream. Never throws: failures are logged and the stream closed. At most
 * maxInboundStreams are served at once, their unfinished messages share maxInboundStreamBytes, and
 * the whole exchange has tcpTimeout to finish, so silent or slow senders hold bounded memory and
 * sockets, and only for a while.
 */
export async function handleStream(e: Engine, stream: Stream): Promise<void> {
  const from = `${stream.remote.host}:${stream.remote.port}`;
  e.metrics.incrCounter(["memberlist", "tcp", "accept"], 1);
  if (!e.tryOpenInboundStream()) {
    stream.close();
    refuseStream(e, "too_many_streams", "refused an inbound stream: too many in progress", from);
    return;
  }
  const reader = new StreamReader(stream, e.inboundStreamBytes);
  const held: Held = { bytes: 0 };
  const dl = deadline(e, e.config.tcpTimeout);
  try {
    const header = await reader.readFrame(labelHeaderLength, 2 + 255, dl());
    let label = header.length > 0 ? parseStreamLabelHeader(header)!.label : "";
    if (e.config.skipInboundLabelCheck) {
      if (header.length > 0) throw new SecurityError("unexpected label header on a stream");
      label = e.config.label;
    } else if (label !== e.config.label) {
      throw new SecurityError(`stream label '${label}' does not match ours`);
    }

    let plain: Uint8Array;
    try {
      plain = await readMessage(e, reader, label, dl, held);
    } catch (err) {
      if (err instanceof NetworkError || err instanceof LimitError) throw err;
      // Tell the dialer why, as Go does; the reply itself goes through compression and encryption.
      const reply = encodeMessage({ type: MessageType.Err, body: { error: errorText(err) } });
      await writeMessage(e, stream, reply, label).catch(() => {});
      throw err;
    }

    switch (plain[0]) {
      case MessageType.PushPull: {
        if (!e.tryBeginPushPull(maxPushPullRequests)) {
          refuseStream(e, "push_pull_limit", "too many concurrent push/pull requests", from);
          return;
        }
        try {
          const remote = decodeRemoteState(e, plain);
          await writeMessage(e, stream, localState(e, remote.join), label);
          mergeRemoteState(e, remote.join, remote.nodes, remote.userState);
        } finally {
          e.endPushPull();
        }
        break;
      }
      case MessageType.Ping: {
        const m = decodeMessage(plain);
        const ping = m.body as Ping;
        if (ping.node !== "" && ping.node !== e.config.name) {
          e.junk.warn("got a stream ping for another node name", { node: ping.node, from });
          return;
        }
        const ack = encodeMessage({ type: MessageType.AckResp, body: { seqNo: ping.seqNo, payload: null } });
        await writeMessage(e, stream, ack, label);
        break;
      }
      case MessageType.User: {
        const payload = decodeUserStreamMessage(plain.subarray(1));
        if (payload.length > 0) e.hooks.message(payload);
        break;
      }
      default:
        e.junk.warn("unsupported message type on a stream", { type: plain[0], from });
    }
  } catch (err) {
    // Past the byte budget, wherever it happened (the label header's read takes bytes too).
    if (err instanceof LimitError) {
      refuseStream(e, "buffer_limit", "closed an inbound stream: unfinished messages hold too much", from);
    }
    e.log.debug("stream exchange failed", { from, err: errorText(err) });
  } finally {
    e.closeInboundStream();
    reader.release();
    e.inboundStreamBytes.release(held.bytes);
    stream.close();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function dialLabelled(e: Engine, addr: Address, timeoutMs: number): Promise<Stream> {
  const stream = await e.transport.dial(addr, timeoutMs);
  if (e.config.label !== "") {
    try {
      await stream.write(streamLabelHeader(e.config.label));
    } catch (err) {
      stream.close();
      throw err;
    }
  }
  return stream;
}

/** A full state exchange with the node at `addr`; throws on any failure. */
export async function pushPullNode(e: Engine, addr: Address, join: boolean): Promise<void> {
  const started = e.runtime.now();
  try {
    await exchangeState(e, addr, join);
  } finally {
    e.metrics.addSample(["memberlist", "pushPullNode"], e.runtime.now() - started);
  }
}

async function exchangeState(e: Engine, addr: Address, join: boolean): Promise<void> {
  const dl = deadline(e, e.config.tcpTimeout);
  const stream = await dialLabelled(e, addr, e.config.tcpTimeout);
  e.metrics.incrCounter(["memberlist", "tcp", "connect"], 1);
  try {
    const reader = new StreamReader(stream);
    await writeMessage(e, stream, localState(e, join), e.config.label);
    const plain = await readMessage(e, reader, e.config.label, dl);
    if (plain[0] === MessageType.Err) {
      const m = decodeMessage(plain);
      throw new NetworkError(`remote error: ${(m.body as { error: string }).error}`);
    }
    if (plain[0] !== MessageType.PushPull) {
      throw new DecodeError(`expected a push/pull reply, got message type ${plain[0]}`);
    }
    const remote = decodeRemoteState(e, plain);
    mergeRemoteState(e, join, remote.nodes, remote.userState);
  } finally {
    stream.close();
  }
}

/**
 * The TCP fallback ping: true if the node answered with the right ack before `deadlineAt`.
 * Any failure, including a refused dial, is "not contacted".
 */
export async function sendPingAndWaitForAck(
  e: Engine,
  addr: Address,
  ping: Ping,
  deadlineAt: number,
): Promise<boolean> {
  const timeout = deadlineAt - e.runtime.now();
  if (timeout <= 0) return false;
  let stream: Stream;
  try {
    stream = await dialLabelled(e, addr, timeout);
  } catch {
    return false;
  }
  try {
    const dl = deadline(e, Math.max(0, deadlineAt - e.runtime.now()));
    await writeMessage(e, stream, encodeMessage({ type: MessageType.Ping, body: ping }), e.config.label);
    const plain = await readMessage(e, new StreamReader(stream), e.config.label, dl);
    if (plain[0] !== MessageType.AckResp) return false;
    const m = decodeMessage(plain);
    return (m.body as { seqNo: number }).seqNo === ping.seqNo;
  } catch (err) {
    e.log.debug("fallback ping failed", { err: errorText(err) });
    return false;
  } finally {
    stream.close();
  }
}

/** Sends a user message over a stream (Go's SendReliable); no acknowledgement. */
export async function sendUserStream(e: Engine, addr: Address, payload: Uint8Array): Promise<void> {
  const stream = await dialLabelled(e, addr, e.config.tcpTimeout);
  try {
    await writeMessage(e, stream, encodeUserStreamMessage(payload), e.config.label);
  } finally {
    stream.close();
  }
}

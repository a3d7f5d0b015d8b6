/**
 * One engine on a fake runtime and a recording transport, for the rule-by-rule tests: no sockets and
 * no real time. The test drives the state functions directly, advances the clock by hand, and reads
 * what was sent (decoded) and what was queued for gossip.
 */

import type { MemberlistConfig } from "../../src/config.ts";
import { resolveConfig } from "../../src/config-validate.ts";
import type { Address, Packet, Stream, Transport } from "../../src/driver.ts";
import { NetworkError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { Engine } from "../../src/swim/engine.ts";
import type { NodeRecord } from "../../src/swim/node-record.ts";
import { setAlive } from "../../src/swim/state.ts";
import {
  type Alive,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  flattenMessage,
  ipToBytes,
  type Message,
  MessageType,
} from "../../src/wire/index.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

/** A stream that answers one TCP ping with its ack (a member reachable over TCP only). */
class AckingStream implements Stream {
  private replies: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  constructor(readonly remote: Address) {}
  async read(): Promise<Uint8Array | null> {
    while (this.replies.length === 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
    return this.replies.shift() ?? null;
  }
  async write(buf: Uint8Array): Promise<void> {
    const m = decodeMessage(buf);
    if (m.type !== MessageType.Ping) return;
    this.replies.push(
      encodeMessage({ type: MessageType.AckResp, body: { seqNo: m.body.seqNo, payload: null } }),
    );
    this.wake?.();
  }
  close(): void {
    this.closed = true;
    this.wake?.();
  }
}

/**
 * A transport that keeps what is written and records dials. Streams are refused unless
 * `answerDials` is set, in which case each dial gets a stream that acks one TCP ping.
 */
export class RecordingTransport implements Transport {
  readonly bindPort = 7946;
  readonly sent: { to: Address; buf: Uint8Array }[] = [];
  readonly dials: Address[] = [];
  answerDials = false;

  finalAdvertiseAddr(ip: string | undefined, port: number | undefined): Address {
    return { host: ip ?? "10.0.0.1", port: port ?? this.bindPort };
  }
  writeTo(buf: Uint8Array, addr: Address): Promise<void> {
    this.sent.push({ to: addr, buf });
    return Promise.resolve();
  }
  dial(addr: Address): Promise<Stream> {
    this.dials.push(addr);
    if (this.answerDials) return Promise.resolve(new AckingStream(addr));
    return Promise.reject(new NetworkError("no streams in rule tests"));
  }
  setPacketHandler(_handler: (packet: Packet) => void): void {}
  setStreamHandler(_handler: (stream: Stream) => void): void {}
  resolve(host: string): Promise<string[]> {
    return Promise.resolve([host]);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the engine told its owner, in order ("join a", "leave b:dead", "suspect b from c", …). */
export type EventLog = string[];

export interface Harness {
  e: Engine;
  rt: FakeRuntime;
  tr: RecordingTransport;
  events: EventLog;
  conflicts: string[];
  /** The member record, or undefined. */
  node(name: string): NodeRecord | undefined;
  /** Every message sent since the last call, decoded (compounds flattened), with its destination. */
  takeSent(): { to: Address; msg: Message }[];
  /** The messages of the given datagrams, decoded (compounds flattened). */
  decodeSent(sent: { buf: Uint8Array }[]): Message[];
  /** Every gossip message queued since the last call (drained from the queue). */
  takeQueued(): Message[];
  /** An alive message about `name` at 10.0.0.<n>:7946 with the local node's versions. */
  alive(name: string, incarnation: number, extra?: Partial<Alive>): Alive;
  /** Delivers raw message bytes as one datagram from `from`. */
  packet(msg: Uint8Array, from?: Address): Packet;
}

let hostCounter = 1;

/** The address bytes each test node name gets: stable per name within a process. */
const hostOf = new Map<string, string>();
export function hostFor(name: string): string {
  let h = hostOf.get(name);
  if (h === undefined) {
    hostCounter++;
    h = `10.0.${hostCounter >> 8}.${hostCounter & 0xff}`;
    hostOf.set(name, h);
  }
  return h;
}

/** Builds the engine (named "me", at 10.0.0.1:7946), marks it alive, and clears what that queued. */
export function harness(config: Partial<MemberlistConfig> = {}): Harness {
  const rt = new FakeRuntime(7);
  const tr = new RecordingTransport();
  const events: EventLog = [];
  const conflicts: string[] = [];
  const c = resolveConfig({
    name: "me",
    bindAddr: "10.0.0.1",
    enableCompression: false,
    logger: silentLogger,
    conflict: { notifyConflict: (existing, other) => conflicts.push(`${existing.name}@${other.addr}`) },
    ...config,
  });
  hostOf.set("me", "10.0.0.1");
  const e = new Engine(
    c,
    rt,
    tr,
    null,
    { host: "10.0.0.1", port: 7946, addrBytes: ipToBytes("10.0.0.1") },
    silentLogger,
    {
      join: (n) => events.push(`join ${n.name}`),
      leave: (n) => events.push(`leave ${n.name}:${n.state}`),
      update: (n) => events.push(`update ${n.name}`),
      suspect: (s) => events.push(`suspect ${s.node} from ${s.from}`),
      message: (m) => events.push(`message ${m.length}`),
    },
  );
  setAlive(e);
  const h: Harness = {
    e,
    rt,
    tr,
    events,
    conflicts,
    node: (name) => e.members.get(name),
    takeSent() {
      return tr.sent.splice(0).flatMap(({ to, buf }) => h.decodeSent([{ buf }]).map((msg) => ({ to, msg })));
    },
    decodeSent(sent) {
      return sent.flatMap(({ buf }) => {
        const msg = decodePacket(buf, {
          label: c.label,
          skipInboundLabelCheck: false,
          keys: [],
          verifyIncoming: false,
        });
        return flattenMessage(msg).map(decodeMessage);
      });
    },
    takeQueued() {
      const out: Message[] = [];
      for (;;) {
        const batch = e.broadcasts.getBroadcasts(2, 1 << 20);
        if (batch.length === 0) return out;
        out.push(...batch.map(decodeMessage));
        e.broadcasts.reset();
      }
    },
    alive(name, incarnation, extra = {}) {
      return {
        incarnation,
        node: name,
        addr: ipToBytes(hostFor(name)),
        port: 7946,
        meta: new Uint8Array(0),
        vsn: e.localVsn,
        ...extra,
      };
    },
    packet(msg, from = { host: "10.0.9.9", port: 7946 }) {
      return {
        buf: encodePacket(msg, {
          compress: false,
          crc: false,
          key: null,
          encryptionVersion: 1,
          label: c.label,
        }),
        from,
        timestamp: rt.now(),
      };
    },
  };
  events.length = 0;
  h.takeQueued();
  return h;
}

/** Encodes one message as it would travel. */
export const wire = encodeMessage;
export { MessageType };

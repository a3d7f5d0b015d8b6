/**
 * Messages of the replication protocol (JSON inside frames) and their validation. Everything
 * coming from a peer is checked before use: a bad message closes the link, never the process.
 */
import { ALL_CHANNELS, type BrokerEvent, isValidName } from "../core/event.ts";
import { ReplicationError } from "../errors.ts";

/**
 * A link runs from the dialling node (client) to the accepting one (server).
 * - `hello` (client): who I am, and my origin (this run's id).
 * - `welcome` (server): who I am, my origin, and the highest seq of your origin I hold.
 * - `events` (client): the client's own events, strictly the next seqs after the last ones sent.
 * - `gap` (client): my own events up to `to` can no longer be sent (my outbox dropped them).
 * - `repair` (client): events of `o`, another origin, that I hold after seq `a` (holes are events
 *   nobody can send any more); on the last frame `h`, the highest seq of `o` I ever held (what is
 *   above my last event is gone from my history too).
 * - `have` (client): the highest seq I hold of each origin, so the server can repair me.
 * - `ack` (server): the highest seq of your origin I hold.
 */
export type LinkMessage =
  | { t: "hello"; node: string; origin: string }
  | { t: "welcome"; node: string; origin: string; acked: number }
  | { t: "events"; e: WireEvent[] }
  | { t: "gap"; to: number }
  | { t: "repair"; o: string; a: number; e: WireEvent[]; h?: number }
  | { t: "have"; v: [string, number][] }
  | { t: "ack"; s: number };

/** Most origins in one `have` (the cursor bound allows far fewer; this only bounds work). */
export const MAX_HAVE_ORIGINS = 10_000;
const ORIGIN = /^[A-Za-z0-9_-]{1,32}$/;
const NODE_NAME_MAX = 512;

/** Compact event: [seq, time, channel, data, event, client, retry, userId]. */
export type WireEvent = [
  number,
  number,
  string,
  string,
  string | null,
  string | null,
  number | null,
  string | null,
];

export function toWire(ev: BrokerEvent): WireEvent {
  return [
    ev.seq,
    ev.time,
    ev.channel,
    ev.data,
    ev.event ?? null,
    ev.client ?? null,
    ev.retry ?? null,
    ev.userId ?? null,
  ];
}

/** Parses and validates one message. */
export function parseMessage(payload: Buffer): LinkMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(payload.toString("utf8"));
  } catch (cause) {
    throw new ReplicationError("frame is not JSON", { cause });
  }
  if (typeof msg !== "object" || msg === null) throw new ReplicationError("frame is not an object");
  const m = msg as Record<string, unknown>;
  switch (m.t) {
    case "hello":
      if (!isNodeName(m.node) || !isOrigin(m.origin)) throw new ReplicationError("bad hello");
      return { t: "hello", node: m.node, origin: m.origin };
    case "welcome":
      if (!isNodeName(m.node) || !isOrigin(m.origin) || !isSeq(m.acked))
        throw new ReplicationError("bad welcome");
      return { t: "welcome", node: m.node, origin: m.origin, acked: m.acked };
    case "ack":
      if (!isSeq(m.s)) throw new ReplicationError("bad ack");
      return { t: "ack", s: m.s };
    case "events":
      if (!Array.isArray(m.e)) throw new ReplicationError("bad events");
      return { t: "events", e: m.e as WireEvent[] };
    case "gap":
      if (!isSeq(m.to)) throw new ReplicationError("bad gap");
      return { t: "gap", to: m.to };
    case "repair":
      if (!isOrigin(m.o) || !isSeq(m.a) || !Array.isArray(m.e) || (m.h !== undefined && !isSeq(m.h)))
        throw new ReplicationError("bad repair");
      return m.h === undefined
        ? { t: "repair", o: m.o, a: m.a, e: m.e as WireEvent[] }
        : { t: "repair", o: m.o, a: m.a, e: m.e as WireEvent[], h: m.h };
    case "have": {
      if (!Array.isArray(m.v) || m.v.length > MAX_HAVE_ORIGINS) throw new ReplicationError("bad have");
      for (const entry of m.v as unknown[]) {
        if (!Array.isArray(entry) || entry.length !== 2 || !isOrigin(entry[0]) || !isSeq(entry[1]))
          throw new ReplicationError("bad have entry");
      }
      return { t: "have", v: m.v as [string, number][] };
    }
    default:
      throw new ReplicationError("unknown message type");
  }
}

/** Validates a wire event of `origin` and turns it into a {@link BrokerEvent}. */
export function fromWire(origin: string, w: unknown): BrokerEvent {
  if (!Array.isArray(w) || w.length !== 8) throw new ReplicationError("bad event");
  const [seq, time, channel, data, event, client, retry, userId] = w as unknown[];
  if (!isSeq(seq) || seq < 1 || typeof time !== "number" || !Number.isFinite(time))
    throw new ReplicationError("bad event seq/time");
  if (typeof channel !== "string" || (channel !== ALL_CHANNELS && !isValidName(channel)))
    throw new ReplicationError("bad event channel");
  if (typeof data !== "string") throw new ReplicationError("bad event data");
  if (event !== null && (typeof event !== "string" || /[\r\n\0]/.test(event)))
    throw new ReplicationError("bad event name");
  if (client !== null && (typeof client !== "string" || !isValidName(client)))
    throw new ReplicationError("bad event client");
  if (retry !== null && !isSeq(retry)) throw new ReplicationError("bad event retry");
  if (userId !== null && typeof userId !== "string") throw new ReplicationError("bad event id");
  return {
    origin,
    seq,
    time,
    channel,
    data,
    event: event ?? undefined,
    client: client ?? undefined,
    retry: retry ?? undefined,
    userId: userId ?? undefined,
  };
}

function isOrigin(v: unknown): v is string {
  return typeof v === "string" && ORIGIN.test(v);
}

function isNodeName(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= NODE_NAME_MAX;
}

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

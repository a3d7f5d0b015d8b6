/**
 * Messages of the replication protocol (JSON inside frames) and their validation. Everything
 * coming from a peer is checked before use: a bad message closes the link, never the process.
 */
import { ALL_CHANNELS, type BrokerEvent, isValidName } from "../core/event.ts";
import { ReplicationError } from "../errors.ts";

/** Path of the HTTP upgrade on the broker's own port. */
export const REPLICATION_PATH = "/_shoal/replication";
/** Value of the `Upgrade:` header. */
export const REPLICATION_PROTOCOL = "shoal-replication/1";

export type LinkMessage =
  | { t: "hello"; node: string; origin: string }
  | { t: "welcome"; node: string; acked: number }
  | { t: "events"; e: WireEvent[] }
  | { t: "ack"; s: number };

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
      if (
        typeof m.node !== "string" ||
        typeof m.origin !== "string" ||
        !/^[A-Za-z0-9_-]{1,32}$/.test(m.origin)
      )
        throw new ReplicationError("bad hello");
      return { t: "hello", node: m.node, origin: m.origin };
    case "welcome":
      if (typeof m.node !== "string" || !isSeq(m.acked)) throw new ReplicationError("bad welcome");
      return { t: "welcome", node: m.node, acked: m.acked };
    case "ack":
      if (!isSeq(m.s)) throw new ReplicationError("bad ack");
      return { t: "ack", s: m.s };
    case "events":
      if (!Array.isArray(m.e)) throw new ReplicationError("bad events");
      return { t: "events", e: m.e as WireEvent[] };
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

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

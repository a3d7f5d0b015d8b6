/**
 * Resuming from a backplane (Redis) instead of this node's memory. The backplane fetched, before
 * the stream opens, what the cursor missed up to each stream's head; events that arrived here
 * while that fetch was under way are in the local histories. This joins the two, each event once,
 * so the new subscriber continues exactly where its feed is.
 */

import type { Vector } from "./cursor.ts";
import type { BrokerEvent } from "./event.ts";
import type { History } from "./history.ts";
import { mergeByTime, type Replay, resetEvent } from "./replay.ts";

/** What a backplane fetched for one new stream. */
export interface Backfill {
  /** The cursor the client sent, decoded (empty when none or invalid). */
  cursor: Vector;
  /** Events after the cursor, any order, of the streams' current origins only. */
  events: BrokerEvent[];
  /** Per current stream origin: the head seq when fetched (the position after `events`). */
  heads: Vector;
  /** Cursor origins to forget: streams the backplane lost and began again. */
  drop: string[];
  /** Why some events the cursor had not seen cannot be replayed (the stream opens with `reset`), or null. */
  reset: string | null;
  /** Whether the client sent a cursor (counted as a resume). */
  resumed: boolean;
}

/**
 * The replay for a stream that opens with a backfill: reset (if any), fetched events, then the
 * events this node received after the fetched heads. A local history that already evicted some
 * of those turns into a `reset` rather than a silent gap.
 */
export function replayWithBackfill(
  histories: History[],
  channels: string[],
  backfill: Backfill,
  clientId: string,
): Replay {
  const start: Vector = new Map(backfill.cursor);
  for (const origin of backfill.drop) start.delete(origin);
  let reset = backfill.reset;
  const perOrigin = new Map<string, BrokerEvent[]>();
  const add = (ev: BrokerEvent): void => {
    const list = perOrigin.get(ev.origin);
    if (list === undefined) perOrigin.set(ev.origin, [ev]);
    else list.push(ev);
  };
  for (const ev of backfill.events) add(ev);
  // Local events past the fetched heads, of the current origins only (older epochs are stale).
  const after: Vector = new Map();
  for (const [origin, head] of backfill.heads) after.set(origin, Math.max(head, start.get(origin) ?? 0));
  for (const h of histories) {
    for (const [origin, seq] of h.evicted) {
      const from = after.get(origin);
      if (from !== undefined && seq > from) reset ??= "history-exceeded";
    }
    h.forEachAfter(after, (ev) => {
      if (after.has(ev.origin)) add(ev);
    });
  }
  // Origins without events still advance to the fetched head.
  const merged = mergeByTime([...perOrigin.values()], start, clientId);
  for (const [origin, head] of backfill.heads) {
    if ((merged.vector.get(origin) ?? 0) < head) merged.vector.set(origin, head);
  }
  return { text: (reset === null ? "" : resetEvent(reset, channels)) + merged.text, vector: merged.vector };
}

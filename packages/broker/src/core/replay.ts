/**
 * Resuming a stream: the events a cursor has not seen, from the histories of its channels, framed
 * with the cursor after each, preceded by a `reset` event when some of them are already gone.
 */

import { frameBody, withId } from "../sse/frame.ts";
import { encodeCursor, type Vector } from "./cursor.ts";
import type { BrokerEvent } from "./event.ts";
import type { History } from "./history.ts";

/** Framed replay text and the cursor after it. */
export interface Replay {
  text: string;
  vector: Vector;
}

/** A `reset` event: the client missed events that can no longer be replayed. */
export function resetEvent(reason: string, channels: string[]): string {
  return frameBody({ event: "reset", data: JSON.stringify({ reason, channels }) });
}

/**
 * Every event after `cursor` in `histories`, each origin in seq order, origins interleaved by
 * time; events targeted at another client advance the cursor but are not sent.
 */
export function replayAfter(
  histories: History[],
  channels: string[],
  cursor: Vector,
  clientId: string,
): Replay {
  let text = "";
  if (histories.some((h) => h.hasGapFor(cursor))) text += resetEvent("history-exceeded", channels);
  const perOrigin = new Map<string, BrokerEvent[]>();
  for (const h of histories) {
    h.forEachAfter(cursor, (ev) => {
      const list = perOrigin.get(ev.origin);
      if (list === undefined) perOrigin.set(ev.origin, [ev]);
      else list.push(ev);
    });
  }
  const merged = mergeByTime([...perOrigin.values()], new Map(cursor), clientId);
  return { text: text + merged.text, vector: merged.vector };
}

/**
 * Frames per-origin event lists (any order; duplicates of one seq are sent once) interleaved by
 * time, each with the cursor after it; `vector` is the starting cursor and is advanced in place.
 */
export function mergeByTime(lists: BrokerEvent[][], vector: Vector, clientId: string): Replay {
  let text = "";
  for (const list of lists) list.sort((a, b) => a.seq - b.seq);
  const idx = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const ev = lists[i]![idx[i]!];
      if (ev !== undefined && (best < 0 || ev.time < lists[best]![idx[best]!]!.time)) best = i;
    }
    if (best < 0) break;
    const ev = lists[best]![idx[best]!]!;
    idx[best]!++;
    if (ev.seq <= (vector.get(ev.origin) ?? 0)) continue;
    vector.set(ev.origin, ev.seq);
    if (ev.client !== undefined && ev.client !== clientId) continue;
    text += withId(encodeCursor(vector), frameBody(ev));
  }
  return { text, vector };
}

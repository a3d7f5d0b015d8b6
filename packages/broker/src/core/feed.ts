/**
 * A feed is the set of subscribers of one exact channel set (usually a single channel). Every
 * subscriber of a feed has the same cursor once caught up, so an event is framed once per feed,
 * `id:` included, and the same bytes go to each subscriber. Events are batched until the next
 * turn of the event loop, so a burst costs one write per subscriber, not one per event.
 */

import { SharedChunk } from "../sse/chunk.ts";
import { withId } from "../sse/frame.ts";
import type { Subscriber } from "../sse/subscriber.ts";
import { encodeCursor, isAheadOf, type Vector } from "./cursor.ts";
import type { BrokerEvent } from "./event.ts";

interface PendingEntry {
  ev: BrokerEvent;
  /** Framed body without `id:`. */
  body: string;
  /** `id:` + body, with this feed's cursor after the event. */
  text: string;
}

export class Feed {
  /** origin -> highest seq of this channel set, seen by every caught-up subscriber. */
  readonly vector: Vector;
  readonly subscribers = new Set<Subscriber>();
  private pending: PendingEntry[] = [];
  private pendingTargeted = false;

  constructor(
    /** Canonical key: sorted channel names joined by ",". */
    readonly key: string,
    /** The channels, sorted. */
    readonly channels: readonly string[],
    initial: Vector,
  ) {
    this.vector = initial;
  }

  /** Number of events waiting for the next flush. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Queues an event (already framed once for the whole broker) for the next flush. */
  push(ev: BrokerEvent, body: string): void {
    this.vector.set(ev.origin, ev.seq);
    if (ev.client !== undefined) this.pendingTargeted = true;
    this.pending.push({ ev, body, text: withId(encodeCursor(this.vector), body) });
  }

  /**
   * Writes pending events to every subscriber; returns the number of deliveries. `observe` is
   * called once per event when the feed has subscribers (for the delivery-latency histogram).
   */
  flush(observe?: (ev: BrokerEvent) => void): number {
    const pending = this.pending;
    if (pending.length === 0) return 0;
    if (observe !== undefined && this.subscribers.size > 0) for (const { ev } of pending) observe(ev);
    this.pending = [];
    const targeted = this.pendingTargeted;
    this.pendingTargeted = false;
    let shared: SharedChunk | null = null;
    let deliveries = 0;
    for (const sub of this.subscribers) {
      if (sub.ahead !== null) {
        deliveries += this.writeAhead(sub, pending);
      } else if (!targeted && sub.batchFrom === 0) {
        if (shared === null) shared = SharedChunk.from(joinTexts(pending, 0));
        sub.writeShared(shared);
        deliveries += pending.length;
      } else {
        let out = "";
        let n = 0;
        for (let i = sub.batchFrom; i < pending.length; i++) {
          const entry = pending[i]!;
          if (entry.ev.client !== undefined && entry.ev.client !== sub.clientId) continue;
          out += entry.text;
          n++;
        }
        if (n > 0) sub.write(out);
        deliveries += n;
      }
      sub.batchFrom = 0;
    }
    return deliveries;
  }

  /** Individually framed path for a subscriber whose cursor is ahead of the feed. */
  private writeAhead(sub: Subscriber, pending: PendingEntry[]): number {
    const vector = sub.ahead!;
    let out = "";
    let n = 0;
    for (let i = sub.batchFrom; i < pending.length; i++) {
      const { ev, body } = pending[i]!;
      if (ev.seq <= (vector.get(ev.origin) ?? 0)) continue;
      vector.set(ev.origin, ev.seq);
      if (ev.client !== undefined && ev.client !== sub.clientId) continue;
      out += withId(encodeCursor(vector), body);
      n++;
    }
    if (n > 0) sub.write(out);
    // sub's vector is never behind the feed's; once not ahead, they are equal: share again.
    if (!isAheadOf(vector, this.vector)) sub.ahead = null;
    return n;
  }
}

function joinTexts(pending: PendingEntry[], from: number): string {
  if (pending.length - from === 1) return pending[from]!.text;
  let out = "";
  for (let i = from; i < pending.length; i++) out += pending[i]!.text;
  return out;
}

/** The canonical key of a channel set. */
export function feedKey(channels: readonly string[]): string {
  return channels.join(",");
}

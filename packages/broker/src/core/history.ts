/**
 * A bounded, in-memory history of one channel: the last `maxEvents` events not older than
 * `maxAgeMs`. It remembers, per origin, the highest sequence it has evicted, which is what
 * tells a resuming client whether it missed something that is gone (then it gets a `reset`).
 */

import type { Vector } from "./cursor.ts";
import type { BrokerEvent } from "./event.ts";

/** Bounds of a history. */
export interface HistoryLimits {
  /** Most events kept per channel. */
  maxEvents: number;
  /** Oldest event kept, in ms. */
  maxAgeMs: number;
  /** Most payload bytes kept per channel (default 8 MiB): big events must not make it unbounded. */
  maxBytes?: number;
}

export class History {
  /** Ring buffer storage; `head` is the index of the oldest event. */
  private ring: (BrokerEvent | undefined)[];
  /** Local arrival time of each ring slot: age is judged by this node's clock, not the origin's. */
  private arrived: number[];
  private head = 0;
  private count = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  /** origin -> highest seq evicted (so cursors below it have a gap). */
  readonly evicted: Vector = new Map();
  /** origin -> highest seq ever appended. */
  readonly heads: Vector = new Map();

  constructor(private readonly limits: HistoryLimits) {
    this.ring = new Array(Math.min(Math.max(1, limits.maxEvents), 1024));
    this.arrived = new Array(this.ring.length).fill(0);
    this.maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
  }

  get size(): number {
    return this.count;
  }

  /** Appends an event that arrived at `now` (default: its origin time), evicting the oldest when full. */
  append(ev: BrokerEvent, now: number = ev.time): void {
    if (this.limits.maxEvents <= 0) {
      this.noteEvicted(ev);
      this.heads.set(ev.origin, ev.seq);
      return;
    }
    if (this.count === this.limits.maxEvents) this.evictOldest();
    while (this.count > 0 && this.bytes + ev.data.length > this.maxBytes) this.evictOldest();
    if (this.count === this.ring.length) this.grow();
    const slot = (this.head + this.count) % this.ring.length;
    this.ring[slot] = ev;
    this.arrived[slot] = now;
    this.count++;
    this.bytes += ev.data.length;
    this.heads.set(ev.origin, ev.seq);
  }

  /** Drops events older than `maxAgeMs` relative to `now`. */
  expire(now: number): void {
    const cutoff = now - this.limits.maxAgeMs;
    while (this.count > 0 && this.arrived[this.head]! < cutoff) this.evictOldest();
  }

  /** Calls `fn` on every event with `seq > after[origin]`, oldest first. */
  forEachAfter(after: Vector, fn: (ev: BrokerEvent) => void): void {
    for (let i = 0; i < this.count; i++) {
      const ev = this.ring[(this.head + i) % this.ring.length];
      if (ev !== undefined && ev.seq > (after.get(ev.origin) ?? 0)) fn(ev);
    }
  }

  /** True when some event the holder of `cursor` had not seen has been evicted. */
  hasGapFor(cursor: Vector): boolean {
    for (const [origin, seq] of this.evicted) {
      if (seq > (cursor.get(origin) ?? 0)) return true;
    }
    return false;
  }

  private evictOldest(): void {
    const ev = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    if (ev !== undefined) {
      this.bytes -= ev.data.length;
      this.noteEvicted(ev);
    }
  }

  private noteEvicted(ev: BrokerEvent): void {
    if ((this.evicted.get(ev.origin) ?? 0) < ev.seq) this.evicted.set(ev.origin, ev.seq);
  }

  /** Doubles the ring (up to maxEvents) so idle channels stay small. */
  private grow(): void {
    const size = Math.min(this.ring.length * 2, this.limits.maxEvents);
    const next: (BrokerEvent | undefined)[] = new Array(size);
    const nextArrived: number[] = new Array(size).fill(0);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.ring.length;
      next[i] = this.ring[from];
      nextArrived[i] = this.arrived[from]!;
    }
    this.ring = next;
    this.arrived = nextArrived;
    this.head = 0;
  }
}

/**
 * A bounded, in-memory history of one channel: the last `maxEvents` events not older than
 * `maxAgeMs` and within `maxBytes`, and, when a {@link HistoryBudget} is given, within the node's
 * total. Storage grows with what it holds (an idle channel costs a few hundred bytes, not its
 * bound). It remembers, per origin, the highest sequence it has evicted, which is what tells a
 * resuming client whether it missed something that is gone (then it gets a `reset`).
 */

import type { Vector } from "./cursor.ts";
import type { BrokerEvent } from "./event.ts";
import { eventCost, type HistoryBudget, type HistoryEntry } from "./history-budget.ts";

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
  /** Held entries, oldest first from `start` (the array is compacted lazily). */
  private entries: HistoryEntry[] = [];
  private start = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  /** origin -> highest seq evicted (so cursors below it have a gap). */
  readonly evicted: Vector = new Map();
  /** origin -> highest seq ever appended. */
  readonly heads: Vector = new Map();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly budget: HistoryBudget | null = null,
  ) {
    this.maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
  }

  get size(): number {
    return this.entries.length - this.start;
  }

  /** The oldest entry held (the next to be evicted). */
  get oldest(): HistoryEntry | undefined {
    return this.entries[this.start];
  }

  /** Appends an event that arrived at `now` (default: its origin time), evicting the oldest when full. */
  append(ev: BrokerEvent, now: number = ev.time): void {
    this.heads.set(ev.origin, ev.seq);
    if (this.limits.maxEvents <= 0) {
      this.noteEvicted(ev);
      return;
    }
    if (this.size >= this.limits.maxEvents) this.evictOldest();
    while (this.size > 0 && this.bytes + ev.data.length > this.maxBytes) this.evictOldest();
    const entry: HistoryEntry = { ev, arrived: now, cost: eventCost(ev), live: true, owner: this };
    this.entries.push(entry);
    this.bytes += ev.data.length;
    // Last: the budget may evict anything older, across channels, this one included.
    this.budget?.add(entry);
  }

  /** Drops events older than `maxAgeMs` relative to `now`. */
  expire(now: number): void {
    const cutoff = now - this.limits.maxAgeMs;
    while (this.size > 0 && this.entries[this.start]!.arrived < cutoff) this.evictOldest();
  }

  /** Evicts everything (the channel is being forgotten); what it held counts as evicted. */
  clear(): void {
    while (this.size > 0) this.evictOldest();
  }

  /** Calls `fn` on every event with `seq > after[origin]`, oldest first. */
  forEachAfter(after: Vector, fn: (ev: BrokerEvent) => void): void {
    for (let i = this.start; i < this.entries.length; i++) {
      const ev = this.entries[i]!.ev;
      if (ev.seq > (after.get(ev.origin) ?? 0)) fn(ev);
    }
  }

  /** True when some event the holder of `cursor` had not seen has been evicted. */
  hasGapFor(cursor: Vector): boolean {
    for (const [origin, seq] of this.evicted) {
      if (seq > (cursor.get(origin) ?? 0)) return true;
    }
    return false;
  }

  /** Lets go of the oldest entry (its own bounds, or the node's budget, asked for it). */
  evictOldest(): void {
    const entry = this.entries[this.start];
    if (entry === undefined) return;
    this.entries[this.start] = undefined as unknown as HistoryEntry;
    this.start++;
    if (this.start === this.entries.length) {
      this.entries = [];
      this.start = 0;
    } else if (this.start >= 16 && this.start * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
    entry.live = false;
    this.bytes -= entry.ev.data.length;
    this.budget?.release(entry);
    this.noteEvicted(entry.ev);
  }

  private noteEvicted(ev: BrokerEvent): void {
    if ((this.evicted.get(ev.origin) ?? 0) < ev.seq) this.evicted.set(ev.origin, ev.seq);
  }
}

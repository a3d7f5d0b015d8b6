/**
 * The channels a node knows, bounded in number. A channel exists while it has history or
 * subscribers; past `maxChannels` the least recently used channel without subscribers is
 * forgotten (its history evicted) to make room. What a forgotten channel had evicted is kept in a
 * bounded tombstone, and what a dropped tombstone knew is folded into a node-wide floor that every
 * new channel starts from, so a late resume always gets its `reset` instead of a silent gap.
 */
import { RequestError } from "../errors.ts";
import { mergeInto, type Vector } from "./cursor.ts";
import { ALL_CHANNELS } from "./event.ts";
import type { Feed } from "./feed.ts";
import { History, type HistoryLimits } from "./history.ts";
import type { HistoryBudget } from "./history-budget.ts";

/** Most forgotten channels remembered one by one for `reset` decisions; older ones share the floor. */
const MAX_TOMBSTONES = 10_000;

export class Channel {
  readonly feeds = new Set<Feed>();
  constructor(
    readonly name: string,
    readonly history: History,
  ) {}
}

/** Options of a {@link ChannelTable}. */
export interface ChannelTableOptions {
  history: HistoryLimits;
  /** Shared by every channel's history. */
  budget: HistoryBudget;
  /** Most channels held (the `*` broadcast channel is not counted). */
  maxChannels: number;
}

export class ChannelTable {
  /** Least recently used first: a channel moves to the end when it gets an event. */
  private readonly channels = new Map<string, Channel>();
  private readonly tombstones = new Map<string, { evicted: Vector; heads: Vector }>();
  /** origin -> highest seq evicted from a channel whose tombstone was dropped. */
  private readonly floor: Vector = new Map();
  /** Channels forgotten to stay under `maxChannels`. */
  evictedChannels = 0;

  constructor(private readonly options: ChannelTableOptions) {}

  /** Channels held, the broadcast channel excluded. */
  get size(): number {
    return this.channels.size - (this.channels.has(ALL_CHANNELS) ? 1 : 0);
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /** Every channel held (the broadcast channel included). */
  values(): IterableIterator<Channel> {
    return this.channels.values();
  }

  /**
   * The channel `name`, created if needed. At the cap, the least recently used channel without
   * subscribers is forgotten first; when every channel has subscribers, a channel created for a
   * local request is refused (503 `ERR_CHANNEL_LIMIT`, nothing changed) while one for an event
   * another node already accepted (`force`) is created over the cap.
   */
  obtain(name: string, force = false): Channel {
    const existing = this.channels.get(name);
    if (existing !== undefined) return existing;
    if (name !== ALL_CHANNELS && this.size >= this.options.maxChannels && !this.evictIdle() && !force)
      throw new RequestError(
        503,
        "ERR_CHANNEL_LIMIT",
        `this node holds its maximum of ${this.options.maxChannels} channels, all with subscribers`,
      );
    const ch = new Channel(name, new History(this.options.history, this.options.budget));
    mergeInto(ch.history.evicted, this.floor);
    const tombstone = this.tombstones.get(name);
    if (tombstone !== undefined) {
      this.tombstones.delete(name);
      mergeInto(ch.history.evicted, tombstone.evicted);
      mergeInto(ch.history.heads, tombstone.heads);
    }
    this.channels.set(name, ch);
    return ch;
  }

  /** Marks `ch` as just used (it is the last to be forgotten). */
  touch(ch: Channel): void {
    this.channels.delete(ch.name);
    this.channels.set(ch.name, ch);
  }

  /** Expires old history and forgets channels with neither history nor subscribers. */
  sweep(now: number): void {
    for (const [name, ch] of this.channels) {
      ch.history.expire(now);
      if (ch.history.size > 0 || ch.feeds.size > 0 || name === ALL_CHANNELS) continue;
      this.forget(ch);
    }
  }

  /** Forgets the least recently used channel without subscribers; false when there is none. */
  private evictIdle(): boolean {
    // Channels with subscribers are passed over and moved to the end, so the next search is short.
    for (let i = this.channels.size; i > 0; i--) {
      const ch = this.channels.values().next().value!;
      if (ch.feeds.size > 0 || ch.name === ALL_CHANNELS) {
        this.touch(ch);
        continue;
      }
      ch.history.clear();
      this.forget(ch);
      this.evictedChannels++;
      return true;
    }
    return false;
  }

  private forget(ch: Channel): void {
    this.channels.delete(ch.name);
    if (ch.history.evicted.size === 0) return;
    this.tombstones.set(ch.name, { evicted: ch.history.evicted, heads: ch.history.heads });
    if (this.tombstones.size <= MAX_TOMBSTONES) return;
    const [oldest, stone] = this.tombstones.entries().next().value!;
    this.tombstones.delete(oldest);
    mergeInto(this.floor, stone.evicted);
  }
}

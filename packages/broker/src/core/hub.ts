/**
 * The broker core: channels with their history, feeds of subscribers, and the rules that make
 * cursors work. It knows nothing of HTTP routing, replication or membership: events come in
 * through {@link Hub.publish} (accepted here) or {@link Hub.apply} (accepted elsewhere).
 */

import type { ServerResponse } from "node:http";
import type { Runtime, Timer } from "@shoal/memberlist";
import { SharedChunk } from "../sse/chunk.ts";
import { comment, frameBody, jitteredRetry, retryOnly, STREAM_HEADERS, withId } from "../sse/frame.ts";
import { Subscriber, type SubscriberOwner } from "../sse/subscriber.ts";
import { type Backfill, replayWithBackfill } from "./backfill.ts";
import { type Channel, ChannelTable } from "./channels.ts";
import { decodeCursor, encodeCursor, isAheadOf, mergeInto, type Vector } from "./cursor.ts";
import { ALL_CHANNELS, type BrokerEvent } from "./event.ts";
import { Feed, feedKey } from "./feed.ts";
import type { HistoryLimits } from "./history.ts";
import { HistoryBudget } from "./history-budget.ts";
import { nodeTimers } from "./node-timers.ts";
import { OriginLog } from "./origin-log.ts";
import { type Replay, replayAfter, resetEvent } from "./replay.ts";

/** Tunables of the core. */
export interface HubOptions {
  history: HistoryLimits;
  /** Estimated bytes of every channel's history together (default 64 MiB; the broker sizes it from the heap). */
  historyTotalBytes?: number;
  /** Most channels held (default 100,000). */
  maxChannels?: number;
  /** Bytes a subscriber may have waiting before it is disconnected. */
  maxBufferBytes: number;
  /** Interval of `:` comment heartbeats, ms (0 = none). */
  heartbeatMs: number;
  /** Reconnect delay suggested to clients, ms, and its jitter fraction. */
  retryMs: number;
  retryJitter: number;
  /** Own events kept for peers that are behind (replication outbox), by count and bytes. */
  outboxEvents: number;
  outboxBytes?: number;
  /** Send a `shoal-ready` event carrying the cursor when a stream opens. */
  readyEvent: boolean;
  /**
   * Origins kept in the per-origin seq map ({@link Hub.applied}, replication's de-duplication)
   * before departed ones are dropped (default {@link DEFAULT_MAX_ORIGINS}).
   */
  maxOrigins?: number;
  /** Clock, ms since the epoch (injectable for tests). */
  now?: () => number;
  /** Timers and randomness (the simulator injects its own); default: Node's. */
  runtime?: Runtime;
  /** Told each event's age as it is delivered here and as it arrives from a peer (for metrics). */
  observer?: HubObserver;
}

/** Ages in ms since an event's acceptance at its origin (clocks of two nodes for a peer's events). */
export interface HubObserver {
  /** The event was written to this node's subscribers (once per event and feed). */
  delivered(ageMs: number): void;
  /** The event arrived from a peer and was applied. */
  replicated(ageMs: number): void;
}

/** Counters exported by `/metrics`. */
export interface HubCounters {
  published: number;
  received: number;
  duplicates: number;
  delivered: number;
  evictions: number;
  evictedBytes: number;
  resets: number;
  replays: number;
  connectionsTotal: number;
  /** Departed origins dropped from the seq map (see {@link DEFAULT_MAX_ORIGINS}). */
  originsPruned: number;
}

/** What a new stream asks for. */
export interface SubscribeRequest {
  channels: string[];
  clientId: string;
  /** `Last-Event-ID` (or its query-string equivalent), if any. */
  cursor: string | null;
  /** Extra response headers (CORS). */
  headers?: Record<string, string>;
  /** What a backplane fetched for this stream: replaces the local replay of `cursor`. */
  backfill?: Backfill;
}

/** The fields a publisher supplies. */
export interface PublishInput {
  channel: string;
  client?: string | undefined;
  event?: string | undefined;
  data: string;
  retry?: number | undefined;
  userId?: string | undefined;
}

/**
 * Every broker run is a new origin, so the seq map grows by one per start of any node: rolling
 * restarts and autoscaling add them all day. 1,000 entries cost ~100 KB and cover e.g. 50 nodes
 * restarted 20 times within one history age; past it, only departed origins whose last event is
 * older than the history age are dropped (no history, ours or a peer's, can hold their events,
 * so no repair can bring one again and a resume naming one gets `reset`).
 */
export const DEFAULT_MAX_ORIGINS = 1_000;

export class Hub implements SubscriberOwner {
  /** This broker run's origin id: 8 base64url characters, random per start. */
  readonly origin: string;
  readonly counters: HubCounters = {
    published: 0,
    received: 0,
    duplicates: 0,
    delivered: 0,
    evictions: 0,
    evictedBytes: 0,
    resets: 0,
    replays: 0,
    connectionsTotal: 0,
    originsPruned: 0,
  };
  /** When each origin of {@link applied} last advanced (to drop departed ones once expired). */
  private readonly originSeenAt = new Map<string, number>();
  /** Own events, kept for replication. */
  readonly log: OriginLog;
  /** origin -> highest seq applied here (dedup and replication acks). */
  readonly applied: Vector = new Map();

  /** Every channel's history together, bounded by `historyTotalBytes`. */
  readonly historyBudget: HistoryBudget;
  /** The channels, bounded by `maxChannels`. */
  readonly channels: ChannelTable;
  private readonly feeds = new Map<string, Feed>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly byClient = new Map<string, Subscriber>();
  private readonly dirty = new Set<Feed>();
  private flushScheduled = false;
  private seq = 0;
  private heartbeatTimer: Timer | null = null;
  private sweepTimer: Timer | null = null;
  private readonly runtime: Runtime;
  /**
   * True when events of `origin`, which this node never got, may still reach it (a live member
   * owns it, or a peer holds some, or a peer has not said yet what it holds). Replication sets
   * it; without replication nothing else arrives. A resume naming an origin that is neither known
   * here nor may arrive gets `reset` (see {@link subscribe}).
   */
  mayStillArrive: (origin: string) => boolean = () => false;
  /** True when a live member owns `origin` (replication sets it; without it, none does). */
  isLiveOrigin: (origin: string) => boolean = () => false;
  /** origin -> highest seq known lost (declared by replication): cursors below it get `reset`. */
  readonly lost: Vector = new Map();
  private readonly now: () => number;
  private readonly heartbeat = SharedChunk.from(comment("heartbeat"));
  private readonly listeners = new Set<(ev: BrokerEvent) => void>();
  private readonly interestListeners = new Set<(channel: string, interested: boolean) => void>();

  constructor(private readonly options: HubOptions) {
    this.runtime = options.runtime ?? nodeTimers;
    this.origin = Buffer.from(this.runtime.randomBytes(6)).toString("base64url");
    this.now = options.now ?? Date.now;
    this.historyBudget = new HistoryBudget(options.historyTotalBytes ?? 64 * 1024 * 1024);
    this.channels = new ChannelTable({
      history: options.history,
      budget: this.historyBudget,
      maxChannels: options.maxChannels ?? 100_000,
    });
    this.log = new OriginLog(options.outboxEvents, options.outboxBytes ?? 64 * 1024 * 1024);
    if (options.heartbeatMs > 0) this.every(options.heartbeatMs, "heartbeatTimer", () => this.beat());
    this.every(Math.min(5_000, Math.max(250, options.history.maxAgeMs)), "sweepTimer", () => this.sweep());
  }

  /** Runs `fn` every `ms` on the runtime's one-shot timers, keeping the handle in `slot`. */
  private every(ms: number, slot: "heartbeatTimer" | "sweepTimer", fn: () => void): void {
    this[slot] = this.runtime.setTimer(ms, () => {
      fn();
      if (this[slot] !== null) this.every(ms, slot, fn);
    });
  }

  /** Open streams. */
  get connectionCount(): number {
    return this.subscribers.size;
  }

  /** Channel subscriptions over all open streams. */
  get subscriptionCount(): number {
    let n = 0;
    for (const sub of this.subscribers) n += sub.channels.length;
    return n;
  }

  /** Channels known here (with subscribers or history). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Called with every event accepted here, after local delivery (the replicator listens). */
  onPublished(fn: (ev: BrokerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Called when a channel gets its first local subscriber (true) or loses its last (false): a
   * backplane reads only the channels this node has subscribers for.
   */
  onInterest(fn: (channel: string, interested: boolean) => void): () => void {
    this.interestListeners.add(fn);
    return () => this.interestListeners.delete(fn);
  }

  /** Accepts an event published on this node: gives it the next seq, delivers it, logs it. */
  publish(input: PublishInput): BrokerEvent {
    // The channel first: refusing it (channel cap) must not consume a seq.
    this.channel(input.channel);
    const ev: BrokerEvent = {
      origin: this.origin,
      seq: ++this.seq,
      time: this.now(),
      channel: input.channel,
      client: input.client,
      event: input.event,
      data: input.data,
      retry: input.retry,
      userId: input.userId,
    };
    this.counters.published++;
    this.deliver(ev);
    this.log.append(ev);
    for (const fn of this.listeners) fn(ev);
    return ev;
  }

  /** Applies an event from another node; returns false for a duplicate (already applied). */
  apply(ev: BrokerEvent): boolean {
    if (ev.seq <= (this.applied.get(ev.origin) ?? 0) || ev.origin === this.origin) {
      this.counters.duplicates++;
      return false;
    }
    this.counters.received++;
    this.options.observer?.replicated(this.now() - ev.time);
    this.deliver(ev);
    return true;
  }

  /**
   * Replication could not get `origin`'s events up to `to` (nobody holds them any more): they
   * count as applied, and every cursor below `to` is answered with `reset`. Open streams are
   * ended with a `retry:` so their clients resume and learn it, rather than miss it silently.
   */
  noteLost(origin: string, to: number): void {
    if ((this.applied.get(origin) ?? 0) >= to) return;
    this.applied.set(origin, to);
    this.originSeenAt.set(origin, this.now());
    this.lost.set(origin, to);
    // Feeds move past the loss too: their subscribers are about to resume and be told of it.
    for (const feed of this.feeds.values())
      if ((feed.vector.get(origin) ?? 0) < to) feed.vector.set(origin, to);
    this.closeAll();
  }

  /** Events of `origin` after seq `after` that some channel's history still holds, in seq order. */
  heldAfter(origin: string, after: number): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    const from: Vector = new Map([[origin, after]]);
    for (const ch of this.channels.values()) {
      ch.history.forEachAfter(from, (ev) => {
        if (ev.origin === origin) out.push(ev);
      });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Opens an event stream on `res` (status, headers, replay, then live events). */
  subscribe(res: ServerResponse, req: SubscribeRequest): Subscriber {
    const channels = [...new Set(req.channels)].sort();
    // A client id is one stream per node: the newer connection replaces the older one. This
    // goes first, since closing the old stream may drop the feed the new one would join.
    this.byClient.get(req.clientId)?.end();
    const feed = this.feedFor(channels);
    res.writeHead(200, { ...STREAM_HEADERS, ...req.headers });
    res.flushHeaders();
    const sub = new Subscriber(req.clientId, channels, res, this.options.maxBufferBytes, this);
    this.byClient.set(req.clientId, sub);
    this.subscribers.add(sub);
    this.counters.connectionsTotal++;
    let head = retryOnly(jitteredRetry(this.options.retryMs, this.options.retryJitter));
    let position: Vector = feed.vector;
    if (req.backfill !== undefined) {
      if (req.backfill.resumed) this.counters.replays++;
      if (req.backfill.reset !== null) this.counters.resets++;
      const { text, vector } = this.replayBackfill(channels, req.backfill, sub.clientId);
      head += text;
      mergeInto(vector, feed.vector);
      if (isAheadOf(vector, feed.vector)) sub.ahead = vector;
      position = vector;
    } else if (req.cursor !== null) {
      const cursor = decodeCursor(req.cursor);
      if (cursor === null) {
        this.counters.resets++;
        head += resetEvent("invalid-cursor", channels);
      } else {
        this.counters.replays++;
        let { text, vector } = this.replay(channels, cursor, sub.clientId);
        if (!text.startsWith("event: reset") && this.namesUnknownOrigin(cursor))
          text = resetEvent("unknown-origin", channels) + text;
        if (isAheadOf(this.lost, cursor)) {
          if (!text.startsWith("event: reset")) text = resetEvent("events-lost", channels) + text;
          // Past the reset, the client's position is past what it was told is lost (else it would
          // be told again on every resume, and its `shoal-ready` cursor would not cover the loss).
          mergeInto(vector, this.lost);
        }
        if (text.startsWith("event: reset")) this.counters.resets++;
        head += text;
        mergeInto(vector, feed.vector);
        if (isAheadOf(vector, feed.vector)) sub.ahead = vector;
        position = vector;
      }
    }
    if (this.options.readyEvent) {
      head += withId(
        encodeCursor(position),
        frameBody({ event: "shoal-ready", data: JSON.stringify(channels) }),
      );
    }
    sub.write(head);
    if (sub.closed) return sub; // the client went away meanwhile; onClosed has cleaned up
    sub.batchFrom = feed.pendingCount;
    feed.subscribers.add(sub);
    return sub;
  }

  /** Client ids of open streams, per channel (for `/status`). */
  clientsByChannel(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const sub of this.subscribers) {
      for (const ch of sub.channels) {
        const list = out[ch];
        if (list === undefined) out[ch] = [sub.clientId];
        else list.push(sub.clientId);
      }
    }
    return out;
  }

  /** Ends every stream with a final jittered `retry:` so clients reconnect elsewhere, spread out. */
  closeAll(retryMs = this.options.retryMs): void {
    this.flush();
    for (const sub of [...this.subscribers]) {
      sub.end(retryOnly(jitteredRetry(retryMs, Math.max(this.options.retryJitter, 0.5))));
    }
  }

  /** Stops timers and closes every stream. */
  close(): void {
    this.heartbeatTimer?.cancel();
    this.sweepTimer?.cancel();
    this.heartbeatTimer = null;
    this.sweepTimer = null;
    this.closeAll();
  }

  /** Writes pending batches now (also runs on its own at the next event-loop turn). */
  flush(): void {
    this.flushScheduled = false;
    const observer = this.options.observer;
    const now = this.now();
    const observe =
      observer === undefined ? undefined : (ev: BrokerEvent) => observer.delivered(now - ev.time);
    for (const feed of this.dirty) this.counters.delivered += feed.flush(observe);
    this.dirty.clear();
  }

  // SubscriberOwner
  onEvicted(_sub: Subscriber, droppedBytes: number): void {
    this.counters.evictions++;
    this.counters.evictedBytes += droppedBytes;
  }

  onClosed(sub: Subscriber): void {
    this.subscribers.delete(sub);
    if (this.byClient.get(sub.clientId) === sub) this.byClient.delete(sub.clientId);
    const feed = this.feeds.get(feedKey(sub.channels));
    if (feed === undefined) return;
    feed.subscribers.delete(sub);
    if (feed.subscribers.size === 0) this.dropFeed(feed);
  }

  /**
   * True when `cursor` names an origin this node never heard of and whose events can no longer
   * arrive: a previous run (of a node, or of the whole cluster) whose history died with it.
   * Nothing here says what followed the cursor's seq of it, so the client may have missed events.
   */
  private namesUnknownOrigin(cursor: Vector): boolean {
    for (const [origin, seq] of cursor) {
      if (seq > 0 && origin !== this.origin && !this.applied.has(origin) && !this.mayStillArrive(origin))
        return true;
    }
    return false;
  }

  /** Stores, then queues for every feed that wants it. */
  private deliver(ev: BrokerEvent): void {
    const now = this.now();
    if ((this.applied.get(ev.origin) ?? 0) < ev.seq) {
      this.applied.set(ev.origin, ev.seq);
      this.originSeenAt.set(ev.origin, now);
    }
    const channel = this.channel(ev.channel, true);
    this.channels.touch(channel);
    channel.history.append(ev, now);
    channel.history.expire(now);
    const feeds = ev.channel === ALL_CHANNELS ? this.feeds.values() : channel.feeds.values();
    // Framed only when a feed wants it: with no subscriber, a big event would be copied for nothing.
    let body: string | undefined;
    for (const feed of feeds) {
      body ??= frameBody(ev);
      this.enqueue(feed, ev, body);
    }
  }

  private enqueue(feed: Feed, ev: BrokerEvent, body: string): void {
    feed.push(ev, body);
    this.dirty.add(feed);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.runtime.setTimer(0, () => this.flush());
    }
  }

  /** Replays a backplane's backfill joined with local events; see {@link replayWithBackfill}. */
  private replayBackfill(channels: string[], backfill: Backfill, clientId: string): Replay {
    const histories = [...channels, ALL_CHANNELS].map((name) => this.channel(name).history);
    return replayWithBackfill(histories, channels, backfill, clientId);
  }

  /** Replays what `cursor` missed on these channels (and broadcasts); see {@link replayAfter}. */
  private replay(channels: string[], cursor: Vector, clientId: string): Replay {
    const histories = [...channels, ALL_CHANNELS].map((name) => this.channel(name).history);
    return replayAfter(histories, channels, cursor, clientId);
  }

  private feedFor(channels: string[]): Feed {
    const key = feedKey(channels);
    let feed = this.feeds.get(key);
    if (feed !== undefined) return feed;
    const initial: Vector = new Map();
    for (const name of [...channels, ALL_CHANNELS]) mergeInto(initial, this.channel(name).history.heads);
    feed = new Feed(key, channels, initial);
    this.feeds.set(key, feed);
    for (const name of channels) {
      const ch = this.channel(name);
      ch.feeds.add(feed);
      if (ch.feeds.size === 1) for (const fn of this.interestListeners) fn(name, true);
    }
    return feed;
  }

  private dropFeed(feed: Feed): void {
    this.feeds.delete(feed.key);
    this.dirty.delete(feed);
    for (const name of feed.channels) {
      const ch = this.channels.get(name);
      if (ch === undefined || !ch.feeds.delete(feed) || ch.feeds.size > 0) continue;
      for (const fn of this.interestListeners) fn(name, false);
    }
  }

  /** The channel, created if needed (see {@link ChannelTable.obtain} for the cap). */
  private channel(name: string, force = false): Channel {
    return this.channels.obtain(name, force);
  }

  /** Heartbeat comments go only to streams that were silent since the last beat. */
  private beat(): void {
    for (const sub of this.subscribers) {
      if (!sub.wroteSinceBeat) sub.writeShared(this.heartbeat);
      sub.wroteSinceBeat = false; // the heartbeat itself does not count as traffic
    }
  }

  /** Expires old history and forgets channels with neither history nor subscribers. */
  private sweep(): void {
    const now = this.now();
    this.channels.sweep(now);
    this.pruneOrigins(now);
  }

  /**
   * True for an origin that is not this run's, has no live owner, and last advanced here longer
   * ago than the history age: no history holds its events any more, so there is nothing of it to
   * repair or replay. Every node judges alike, so repair leaves it alone (it is not announced in
   * `have`s, nor re-sent) and the seq map may drop it.
   */
  isExpiredOrigin(origin: string, now: number = this.now()): boolean {
    if (origin === this.origin || this.isLiveOrigin(origin)) return false;
    const seen = this.originSeenAt.get(origin);
    return seen !== undefined && now - seen > this.options.history.maxAgeMs;
  }

  /** Origins kept in {@link applied} before departed, expired ones are dropped. */
  get maxOrigins(): number {
    return this.options.maxOrigins ?? DEFAULT_MAX_ORIGINS;
  }

  /** Over the cap, drops the oldest expired origins (see {@link isExpiredOrigin}). */
  private pruneOrigins(now: number): void {
    const max = this.maxOrigins;
    if (this.applied.size <= max) return;
    for (const origin of this.applied.keys()) {
      if (this.applied.size <= max) return;
      if (!this.isExpiredOrigin(origin, now)) continue;
      this.applied.delete(origin);
      this.lost.delete(origin);
      this.originSeenAt.delete(origin);
      this.counters.originsPruned++;
    }
  }
}

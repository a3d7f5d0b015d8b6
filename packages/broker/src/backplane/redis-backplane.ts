/**
 * The Redis Streams backplane: events are appended to one stream per channel (length-capped, so
 * the stream is the channel's history) and read back only by nodes with subscribers for the
 * channel. Gossip still says who is in the cluster; the mesh's replication is off.
 */

import { createClient } from "@redis/client";
import type { Backfill } from "../core/backfill.ts";
import { decodeCursor, type Vector } from "../core/cursor.ts";
import { ALL_CHANNELS, type BrokerEvent } from "../core/event.ts";
import type { PublishInput } from "../core/hub.ts";
import { RequestError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Backplane, BackplaneState, BackplaneStatus, OpenStream } from "./backplane.ts";
import type { RedisTarget } from "./redis-url.ts";
import { APPEND_SCRIPT, RESUME_SCRIPT, scriptSha } from "./scripts.ts";
import { decodeEntry, entryFields, metaKey, streamKey, streamOrigin } from "./stream-keys.ts";
import { type CommandConnection, StreamReader } from "./stream-reader.ts";

/** Options of {@link RedisBackplane}. */
export interface RedisBackplaneOptions {
  target: RedisTarget;
  /** Stream length cap per channel (XADD MAXLEN ~): the history a resume can reach. */
  maxLen: number;
  /** A channel's stream and meta expire this long after its last publish, ms. */
  ttlMs: number;
  /**
   * Longest wait for Redis on a publish or a resume before answering 503, ms (default 2 s: long
   * enough for a loaded Redis, short enough that a publisher retries before its own timeout).
   */
  timeoutMs?: number;
  /** First and largest reconnection delay, ms (default 100 ms doubling to 5 s, with jitter). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  logger: Logger;
}

/** Where events read from Redis go (the hub). */
export interface EventSink {
  apply(ev: BrokerEvent): boolean;
}

type Client = ReturnType<typeof createClient>;

export class RedisBackplane implements Backplane {
  private readonly client: Client;
  private readonly readerClient: Client;
  private readonly reader: StreamReader;
  private readonly timeoutMs: number;
  private readonly appendSha = scriptSha(APPEND_SCRIPT);
  private readonly resumeSha = scriptSha(RESUME_SCRIPT);
  /** Channels wanted by streams being opened (their count), beside those the hub has feeds for. */
  private readonly opening = new Map<string, number>();
  private readonly subscribed = new Set<string>();
  private state: BackplaneState = "connecting";
  private since = Date.now();
  private lastError: string | null = null;
  private reconnects = 0;
  private appended = 0;
  private appendFailures = 0;
  private readyWaiters: (() => void)[] = [];

  constructor(
    private readonly options: RedisBackplaneOptions,
    private readonly sink: EventSink,
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    const min = options.backoffMinMs ?? 100;
    const max = options.backoffMaxMs ?? 5_000;
    this.client = createClient({
      url: options.target.url,
      RESP: 2,
      // Fail fast while disconnected: a publish must get its 503, not wait in a queue.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.timeoutMs,
        // Exponential backoff with jitter, so a fleet of brokers does not reconnect in step.
        reconnectStrategy: (retries: number) =>
          Math.round(Math.min(max, min * 2 ** Math.min(retries, 16)) * (0.5 + Math.random() / 2)),
      },
    });
    this.readerClient = this.client.duplicate();
    this.client.on("error", (err: Error) => this.setDown(err));
    this.client.on("reconnecting", () => {
      this.reconnects++;
    });
    this.client.on("ready", () => this.setUp());
    this.readerClient.on("error", (err: Error) => this.setDown(err));
    this.readerClient.on("ready", () => {
      for (const fn of this.readyWaiters.splice(0)) fn();
      this.setUp();
    });
    this.reader = new StreamReader(
      this.readerClient as unknown as CommandConnection,
      this.client as unknown as CommandConnection,
      (ev) => this.sink.apply(ev),
      (err) => this.setDown(err),
      () => this.readerReady(),
    );
  }

  async start(): Promise<void> {
    const first = Promise.all([this.connect(this.client), this.connect(this.readerClient)]);
    void this.reader.run();
    await first;
  }

  /** Interest from the hub: a channel got its first local subscriber, or lost its last. */
  setInterest(channel: string, interested: boolean): void {
    if (interested) this.subscribed.add(channel);
    else this.subscribed.delete(channel);
    this.sync(channel);
  }

  async append(input: PublishInput): Promise<BrokerEvent> {
    const time = Date.now();
    const fields = entryFields({ ...input, time });
    const keys = [streamKey(input.channel), metaKey(input.channel)];
    const args = [String(this.options.maxLen), String(this.options.ttlMs), ...fields];
    let seq: string;
    try {
      seq = await this.withTimeout(this.script(this.appendSha, APPEND_SCRIPT, keys, args), "publish");
    } catch (err) {
      this.appendFailures++;
      throw this.unavailable(err, "publish", "the event was not published");
    }
    this.appended++;
    return {
      origin: streamOrigin(input.channel),
      seq: Number(seq),
      time,
      channel: input.channel,
      client: input.client,
      event: input.event,
      data: input.data,
      retry: input.retry,
      userId: input.userId,
    };
  }

  async open(channels: string[], cursorText: string | null): Promise<OpenStream> {
    const all = [...channels, ALL_CHANNELS];
    for (const ch of all) this.opening.set(ch, (this.opening.get(ch) ?? 0) + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const ch of all) {
        const n = (this.opening.get(ch) ?? 1) - 1;
        if (n > 0) this.opening.set(ch, n);
        else this.opening.delete(ch);
        this.sync(ch);
      }
    };
    try {
      const backfill = await this.withTimeout(this.fetch(all, cursorText), "resume");
      return { backfill, release };
    } catch (err) {
      release();
      throw this.unavailable(err, "resume", "the stream was not opened");
    }
  }

  status(): BackplaneStatus {
    return {
      kind: "redis",
      target: this.options.target.display,
      state: this.state,
      since: this.since,
      lastError: this.lastError,
      reconnects: this.reconnects,
      streamsRead: this.reader.size,
      appended: this.appended,
      appendFailures: this.appendFailures,
      eventsRead: this.reader.eventsRead,
      bytesRead: this.reader.bytesRead,
    };
  }

  async close(): Promise<void> {
    this.setState("closed");
    this.reader.close();
    for (const fn of this.readyWaiters.splice(0)) fn();
    for (const c of [this.client, this.readerClient]) {
      try {
        c.destroy();
      } catch {
        // already closed
      }
    }
  }

  /** Reads the heads (and, with a cursor, what it missed) of `channels`, then starts reading them. */
  private async fetch(channels: string[], cursorText: string | null): Promise<Backfill> {
    const decoded = cursorText === null ? null : decodeCursor(cursorText);
    const cursor: Vector = decoded ?? new Map();
    let reset: string | null = cursorText !== null && decoded === null ? "invalid-cursor" : null;
    const heads: Vector = new Map();
    const events: BrokerEvent[] = [];
    const drop: string[] = [];
    const replies = await Promise.all(
      channels.map(async (channel) => {
        const origin = streamOrigin(channel);
        const after = cursor.get(origin) ?? 0;
        const reply = await this.script<[string | null, string | null, [string, string[]][]]>(
          this.resumeSha,
          RESUME_SCRIPT,
          [streamKey(channel), metaKey(channel)],
          [String(after), String(decoded === null ? 0 : this.options.maxLen)],
        );
        return { channel, origin, after, reply };
      }),
    );
    for (const { channel, origin, after, reply } of replies) {
      const [baseText, headText, entries] = reply;
      // A fetch that outlived its timeout must not start reading for a stream that was given up.
      const read = (from: number): void => {
        if (this.opening.has(channel)) this.reader.add(channel, from);
      };
      if (baseText === null || headText === null) {
        // No stream: nothing to replay (whatever it had expired with it, so a cursor into it is stale).
        if (after > 0) drop.push(origin);
        read(0);
        continue;
      }
      const base = Number(baseText);
      const head = Number(headText);
      heads.set(origin, head);
      read(head);
      if (decoded === null) continue;
      if (after > head) {
        // The client saw events Redis no longer has (it lost writes): restart it at the head.
        reset ??= "cursor-ahead-of-backplane";
        drop.push(origin);
        continue;
      }
      // A cursor from an earlier life of the stream, or none for it: everything since the base.
      const from = after > base ? after : base;
      const list: BrokerEvent[] = [];
      for (let i = entries.length - 1; i >= 0; i--) {
        const [id, fields] = entries[i]!;
        const ev = decodeEntry(channel, origin, id, fields);
        if (ev !== null && ev.seq > from) list.push(ev);
      }
      const first = list.length > 0 ? list[0]!.seq : head + 1;
      if ((after > 0 && after < base) || first > from + 1) reset ??= "history-exceeded";
      for (const ev of list) events.push(ev);
    }
    return { cursor, events, heads, drop, reset, resumed: cursorText !== null };
  }

  /** Starts or stops reading `channel` to match the hub's interest and the streams being opened. */
  private sync(channel: string): void {
    const wanted =
      this.opening.has(channel) ||
      this.subscribed.has(channel) ||
      (channel === ALL_CHANNELS && this.subscribed.size > 0);
    if (!wanted) {
      this.reader.remove(channel);
      if (channel !== ALL_CHANNELS) this.sync(ALL_CHANNELS);
    }
    // Adding happens in fetch(), which knows the head to start from.
  }

  private async script<T>(sha: string, source: string, keys: string[], args: string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.client.sendCommand<T>(["EVALSHA", sha, ...tail]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return await this.client.sendCommand<T>(["EVAL", source, ...tail]);
    }
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis within ${this.timeoutMs} ms (${what})`)),
        this.timeoutMs,
      );
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private unavailable(err: unknown, what: string, consequence: string): RequestError {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RequestError) return err;
    const timedOut = message.startsWith("no answer from Redis");
    this.options.logger.warn("backplane request failed", { what, error: message });
    return new RequestError(
      503,
      "ERR_BACKPLANE_UNAVAILABLE",
      timedOut
        ? `Redis backplane did not answer in time; the ${what} may or may not have taken effect: retry`
        : `Redis backplane unavailable (${message}); ${consequence}: retry`,
    );
  }

  private async connect(c: Client): Promise<void> {
    try {
      await c.connect();
    } catch (err) {
      this.setDown(err as Error);
    }
  }

  private readerReady(): Promise<void> {
    if (this.readerClient.isReady || this.state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private setUp(): void {
    if (this.client.isReady && this.readerClient.isReady) {
      if (this.state !== "up")
        this.options.logger.info("backplane connected", { target: this.options.target.display });
      this.lastError = null;
      this.setState("up");
    }
  }

  /** A connection failed (or a command did): down until both connections are ready again. */
  private setDown(err: Error): void {
    if (this.state === "closed") return;
    this.lastError = err.message || err.name;
    if (this.client.isReady && this.readerClient.isReady) return; // a command failed, not the link
    if (this.state === "up")
      this.options.logger.warn("backplane connection lost; reconnecting with backoff", {
        error: this.lastError,
      });
    this.setState("down");
  }

  private setState(state: BackplaneState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
  }
}

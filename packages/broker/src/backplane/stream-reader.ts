/**
 * Reads the streams of the channels this node wants, on a dedicated Redis connection: one
 * `XREAD BLOCK` over all of them from the last entry seen of each, re-issued (after a
 * `CLIENT UNBLOCK` from the command connection) whenever the set changes. It keeps its
 * positions across disconnections, so when Redis comes back it carries on from where it was:
 * what it missed arrives once and in order.
 */

import type { BrokerEvent } from "../core/event.ts";
import { decodeEntry, streamKey, streamOrigin } from "./stream-keys.ts";

/** The slice of a Redis client the reader uses. */
export interface CommandConnection {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
  readonly isReady: boolean;
}

interface Position {
  channel: string;
  origin: string;
  key: string;
  /** Id of the last entry read (`<seq>-0`), the XREAD start. */
  lastId: string;
}

/**
 * Entries per XREAD: enough to catch up fast (a few thousand events a second per round trip),
 * few enough that one reply stays bounded (at most this many publish bodies, 128 MiB at the
 * 1 MiB body limit; a few hundred KiB for typical events).
 */
export const READ_BATCH = 128;
/** Longest one XREAD blocks; a changed set interrupts it sooner (this is only the backstop). */
const BLOCK_MS = 5_000;

/** XREAD reply in RESP2: [[key, [[id, [field, value, ...]], ...]], ...] or null. */
type XReadReply = [string, [string, string[]][]][] | null;

export class StreamReader {
  private readonly positions = new Map<string, Position>();
  private readonly byKey = new Map<string, Position>();
  private reading = false;
  private changed = false;
  private closed = false;
  private readerId: string | null = null;
  private wakeUp: (() => void) | null = null;
  /** Set when the reading connection was (re)established: its id is needed for CLIENT UNBLOCK. */
  private fresh = true;
  /** Consecutive failed reads (for the retry backoff). */
  private failures = 0;
  eventsRead = 0;
  bytesRead = 0;

  constructor(
    private readonly reader: CommandConnection,
    private readonly commands: CommandConnection,
    private readonly deliver: (ev: BrokerEvent) => void,
    private readonly onError: (err: Error) => void,
    /** Resolves when the reading connection is ready again (after a failure). */
    private readonly waitReady: () => Promise<void>,
  ) {}

  /** Channels being read. */
  get size(): number {
    return this.positions.size;
  }

  /** True when `channel` is read. */
  has(channel: string): boolean {
    return this.positions.has(channel);
  }

  /**
   * Starts reading `channel` after seq `from` (its head when a stream opened), unless it is read
   * already: then it carries on from where it is, which is never a gap.
   */
  add(channel: string, from: number): void {
    if (this.positions.has(channel)) return;
    const pos: Position = {
      channel,
      origin: streamOrigin(channel),
      key: streamKey(channel),
      lastId: `${from}-0`,
    };
    this.positions.set(channel, pos);
    this.byKey.set(pos.key, pos);
    this.interrupt();
  }

  /** Stops reading `channel`. */
  remove(channel: string): void {
    const pos = this.positions.get(channel);
    if (pos === undefined) return;
    this.positions.delete(channel);
    this.byKey.delete(pos.key);
    this.interrupt();
  }

  /** Runs until {@link close}. */
  async run(): Promise<void> {
    while (!this.closed) {
      if (this.positions.size === 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = null;
        continue;
      }
      try {
        if (this.fresh) {
          this.readerId = String(await this.reader.sendCommand<number>(["CLIENT", "ID"]));
          this.fresh = false;
        }
        this.changed = false;
        const keys: string[] = [];
        const ids: string[] = [];
        for (const pos of this.positions.values()) {
          keys.push(pos.key);
          ids.push(pos.lastId);
        }
        this.reading = true;
        const reply = await this.reader.sendCommand<XReadReply>([
          "XREAD",
          "COUNT",
          String(READ_BATCH),
          "BLOCK",
          String(BLOCK_MS),
          "STREAMS",
          ...keys,
          ...ids,
        ]);
        this.reading = false;
        if (reply !== null) this.take(reply);
        this.failures = 0;
      } catch (err) {
        this.reading = false;
        if (this.closed) return;
        this.fresh = true;
        this.onError(err as Error);
        await this.waitReady();
        // Backoff also when the link is up but the command fails (e.g. a foreign key of the wrong type).
        this.failures++;
        await new Promise((r) => setTimeout(r, Math.min(5_000, 25 * 2 ** Math.min(this.failures, 8))));
      }
    }
  }

  /** Stops the loop (the connections are closed by their owner). */
  close(): void {
    this.closed = true;
    this.wakeUp?.();
  }

  private take(reply: NonNullable<XReadReply>): void {
    for (const [key, entries] of reply) {
      const pos = this.byKey.get(key);
      if (pos === undefined) continue; // no longer wanted
      for (const [id, fields] of entries) {
        pos.lastId = id;
        const ev = decodeEntry(pos.channel, pos.origin, id, fields);
        if (ev === null) continue;
        this.eventsRead++;
        this.bytesRead += ev.data.length;
        this.deliver(ev);
      }
    }
  }

  /** Makes a blocked XREAD return so the loop re-issues it with the current set. */
  private interrupt(): void {
    this.changed = true;
    this.wakeUp?.();
    if (!this.reading || this.readerId === null) return;
    void this.unblock(this.readerId);
  }

  /** CLIENT UNBLOCK until it lands (the XREAD may not have reached Redis yet), while still needed. */
  private async unblock(id: string): Promise<void> {
    for (let i = 0; i < 100 && this.reading && this.changed && !this.closed; i++) {
      if (!this.commands.isReady) return; // the reader fails too, and refreshes on return
      try {
        const n = await this.commands.sendCommand<number>(["CLIENT", "UNBLOCK", id]);
        if (n === 1) return;
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

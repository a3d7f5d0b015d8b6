/**
 * One open event stream. It writes straight to the response while the socket keeps up; once
 * `res.write()` returns false it queues (bounded) until 'drain', then writes the queue in one go.
 * Past the bound it is disconnected: the client resumes later with `Last-Event-ID`.
 */
import type { ServerResponse } from "node:http";
import type { Vector } from "../core/cursor.ts";

/** What a subscriber reports back to whoever owns it. */
export interface SubscriberOwner {
  /** The subscriber overflowed its buffer and was disconnected. */
  onEvicted(sub: Subscriber, droppedBytes: number): void;
  /** The stream closed, for any reason. Called exactly once. */
  onClosed(sub: Subscriber): void;
}

export class Subscriber {
  /** Whether the stream has ended (no writes will happen any more). */
  closed = false;
  /**
   * Set while this subscriber's cursor is ahead of its feed (it resumed from a node further
   * along): it then gets individually framed events until the feed catches up. Null otherwise.
   */
  ahead: Vector | null = null;
  /** Index into the feed's pending batch from which this subscriber takes events. */
  batchFrom = 0;
  /** Events written, for metrics. */
  delivered = 0;

  private queue: (string | Buffer)[] | null = null;
  private queuedBytes = 0;

  constructor(
    /** The client id (from the URL, or generated). */
    readonly clientId: string,
    /** The channels this stream subscribed to. */
    readonly channels: readonly string[],
    private readonly res: ServerResponse,
    private readonly maxBufferBytes: number,
    private readonly owner: SubscriberOwner,
  ) {
    res.once("close", () => this.finish());
  }

  /** Bytes waiting to go out: ours plus those in the socket's own buffer. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.res.writableLength;
  }

  /** Writes a chunk, or queues it under backpressure, or evicts past the bound. */
  write(chunk: string | Buffer): void {
    if (this.closed) return;
    if (this.queue !== null) {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes + this.res.writableLength > this.maxBufferBytes) this.evict();
      return;
    }
    if (!this.res.write(chunk)) {
      if (this.res.writableLength > this.maxBufferBytes) {
        this.evict();
        return;
      }
      this.queue = [];
      this.res.once("drain", () => this.drain());
    }
  }

  /** Ends the stream after writing `last` (e.g. a `retry:` line). */
  end(last?: string): void {
    if (this.closed) return;
    this.queue = null;
    this.queuedBytes = 0;
    if (last !== undefined) this.res.end(last);
    else this.res.end();
    this.finish();
  }

  private drain(): void {
    const queue = this.queue;
    if (queue === null || this.closed) return;
    this.queue = null;
    this.queuedBytes = 0;
    if (queue.length === 0) return;
    const joined = queue.length === 1 ? queue[0]! : Buffer.concat(queue.map(toBuffer));
    this.write(joined);
  }

  private evict(): void {
    const dropped = this.bufferedBytes;
    this.queue = null;
    this.queuedBytes = 0;
    this.owner.onEvicted(this, dropped);
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = null;
    this.owner.onClosed(this);
  }
}

function toBuffer(chunk: string | Buffer): Buffer {
  return typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

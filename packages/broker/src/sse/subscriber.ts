/**
 * One open event stream. After the response headers it writes straight to its transport: over
 * HTTP/1.x the socket itself, chunk-framed here (see {@link SharedChunk}); over HTTP/2 the
 * response's own stream, which does its own framing (raw HTTP/1.1 chunks on an HTTP/2 connection
 * would corrupt it). It writes while the socket keeps up; once `socket.write()` returns false
 * it queues (bounded) until 'drain', then writes the queue in one go. Past the bound it is
 * disconnected: the client resumes later with `Last-Event-ID`.
 */
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Vector } from "../core/cursor.ts";
import { chunkText, LAST_CHUNK, type SharedChunk } from "./chunk.ts";

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
  /** Something was written since the last heartbeat (then the next one is skipped). */
  wroteSinceBeat = false;

  /** The socket (HTTP/1.x) or the HTTP/2 stream of the response. */
  private readonly socket: Duplex;
  /** HTTP/1.1 responses are chunked; HTTP/1.0 ones are delimited by the connection closing. */
  private readonly chunked: boolean;
  private queue: (string | Buffer)[] | null = null;
  private queuedBytes = 0;

  /** `res` must have had its headers flushed already. */
  constructor(
    /** The client id (from the URL, or generated). */
    readonly clientId: string,
    /** The channels this stream subscribed to. */
    readonly channels: readonly string[],
    res: ServerResponse,
    private readonly maxBufferBytes: number,
    private readonly owner: SubscriberOwner,
  ) {
    // An HTTP/2 compatibility response (node:http2) has `stream`; an HTTP/1.x one does not.
    const h2 = (res as ServerResponse & { stream?: Duplex }).stream;
    this.socket = h2 ?? (res.socket as Duplex);
    this.chunked =
      h2 === undefined && (res as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding === true;
    res.once("close", () => this.finish());
  }

  /** Bytes waiting to go out: ours plus those in the socket's own buffer. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Writes one-off text (framed here). */
  write(text: string): void {
    this.writeRaw(this.chunked ? chunkText(text) : text);
  }

  /** Writes bytes shared with other subscribers. */
  writeShared(chunk: SharedChunk): void {
    this.writeRaw(this.chunked ? chunk.chunked : chunk.raw);
  }

  /** Ends the stream after writing `last` (e.g. a `retry:` line). */
  end(last?: string): void {
    if (this.closed) return;
    this.queue = null;
    this.queuedBytes = 0;
    let tail = last === undefined ? "" : this.chunked ? chunkText(last) : last;
    if (this.chunked) tail += LAST_CHUNK;
    this.socket.end(tail);
    this.finish();
  }

  private writeRaw(chunk: string | Buffer): void {
    if (this.closed) return;
    if (this.socket.destroyed) {
      this.finish();
      return;
    }
    if (this.queue !== null) {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes + this.socket.writableLength > this.maxBufferBytes) this.evict();
      return;
    }
    this.wroteSinceBeat = true;
    if (!this.socket.write(chunk)) {
      if (this.socket.writableLength > this.maxBufferBytes) {
        this.evict();
        return;
      }
      this.queue = [];
      this.socket.once("drain", () => this.drain());
    }
  }

  private drain(): void {
    const queue = this.queue;
    if (queue === null || this.closed) return;
    this.queue = null;
    this.queuedBytes = 0;
    if (queue.length === 0) return;
    this.writeRaw(queue.length === 1 ? queue[0]! : Buffer.concat(queue.map(toBuffer)));
  }

  private evict(): void {
    const dropped = this.bufferedBytes;
    this.queue = null;
    this.queuedBytes = 0;
    this.owner.onEvicted(this, dropped);
    this.socket.destroy();
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

/**
 * A {@link Stream} over a connected `net.Socket`. Reads are pulled: incoming chunks wait in a queue
 * until `read()` takes them, and the socket is paused while more than {@link READ_HIGH_WATER} bytes
 * wait, so a fast sender cannot make us buffer without bound. Every socket error is handled here.
 */
import type { Socket } from "node:net";
import type { Address, Stream } from "../driver.ts";
import { NetworkError } from "../errors.ts";
import { plainBytes } from "./plain-bytes.ts";

/**
 * Unread bytes above which the socket is paused until the reader catches up. These bytes sit
 * outside the inbound streams' byte budget, once per stream: at 1 MiB, 32 senders of unfinished
 * push/pulls added up to 32 MiB on top of it, and peak RSS under that attack measured +137-153 MB
 * (goal +100); at 256 KiB, +83-88 MB (bench:abuse gossip). A 20 MiB push/pull still streams in
 * 256 KiB steps at loopback speed.
 */
export const READ_HIGH_WATER = 256 * 1024;

export class SocketStream implements Stream {
  readonly remote: Address;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly readers: Array<(chunk: Uint8Array | null) => void> = [];
  private readonly pendingWrites = new Set<(err: Error | undefined) => void>();
  /** No more bytes will arrive (peer finished, socket closed or broken). */
  private ended = false;
  /** Closed by us, or the socket is gone; writes fail from now on. */
  private closed = false;
  private paused = false;
  private failure: Error | undefined;

  /**
   * @param socket a connected socket; this stream takes ownership of it.
   * @param remote the peer's address, already normalised by the transport.
   * @param onClose called once when the socket is gone, so the transport can forget it.
   */
  constructor(
    private readonly socket: Socket,
    remote: Address,
    private readonly onClose: (stream: SocketStream) => void = () => {},
  ) {
    this.remote = remote;
    socket.on("data", (chunk: Buffer) => this.onData(plainBytes(chunk)));
    socket.on("end", () => this.onEnd());
    socket.on("error", (err) => {
      this.failure ??= err;
    });
    socket.on("close", () => this.onSocketClose());
  }

  /** Bytes received and not yet read (at most about {@link READ_HIGH_WATER} plus one read's worth). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.buffered -= chunk.length;
      if (this.paused && this.buffered <= READ_HIGH_WATER) {
        this.paused = false;
        this.socket.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.ended || this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  write(buf: Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed || !this.socket.writable) {
      return Promise.reject(new NetworkError(this.describe("cannot write: stream is closed"), this.cause()));
    }
    if (buf.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (err: Error | undefined): void => {
        if (!this.pendingWrites.delete(settle)) return;
        if (err === undefined) resolve();
        else
          reject(
            err instanceof NetworkError
              ? err
              : new NetworkError(this.describe(`write failed: ${err.message}`), { cause: err }),
          );
      };
      this.pendingWrites.add(settle);
      try {
        // The callback runs once this chunk has been handed to the kernel (after any queued ones).
        this.socket.write(buf, (err) => settle(err ?? undefined));
      } catch (err) {
        settle(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    this.chunks.length = 0;
    this.buffered = 0;
    this.socket.destroy();
    this.finishReaders();
    this.failWrites(new NetworkError(this.describe("stream closed before the write completed")));
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (!this.paused && this.buffered > READ_HIGH_WATER) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private onEnd(): void {
    this.ended = true;
    this.finishReaders();
  }

  private onSocketClose(): void {
    this.ended = true;
    this.closed = true;
    this.finishReaders();
    this.failWrites(new NetworkError(this.describe("connection closed"), this.cause()));
    this.onClose(this);
  }

  /** Readers only wait when the queue is empty, so once the stream ended they all get `null`. */
  private finishReaders(): void {
    for (const reader of this.readers.splice(0)) reader(null);
  }

  private failWrites(err: NetworkError): void {
    for (const settle of [...this.pendingWrites]) settle(err);
  }

  private cause(): { cause?: unknown } | undefined {
    return this.failure === undefined ? undefined : { cause: this.failure };
  }

  private describe(what: string): string {
    return `stream to ${this.remote.host}:${this.remote.port}: ${what}`;
  }
}

/**
 * A {@link Stream} over a Node socket (an upgraded HTTP connection). The peer finishing its side
 * (FIN) ends the stream at once: a link never sits half-closed (CLOSE-WAIT) after its peer went
 * away. Reads pause the socket while more than {@link READ_HIGH_WATER} bytes wait unread.
 */
import type { Socket } from "node:net";
import { ReplicationError } from "../errors.ts";
import type { Stream } from "./driver.ts";

/** Unread bytes above which the socket is paused until the reader catches up. */
const READ_HIGH_WATER = 1024 * 1024;

export class SocketStream implements Stream {
  readonly remote: { host: string; port: number };
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private reader: ((chunk: Uint8Array | null) => void) | null = null;
  private ended = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    head?: Buffer,
  ) {
    this.remote = {
      host: (socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
      port: socket.remotePort ?? 0,
    };
    socket.setNoDelay(true);
    socket.setTimeout(0);
    if (head !== undefined && head.length > 0) this.onData(head);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // The peer sent FIN (it closed or died): nothing more will come, and we are done too.
    socket.on("end", () => this.finish(false));
    socket.on("error", () => this.finish(false));
    socket.on("close", () => this.finish(false));
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
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  write(buf: Uint8Array): Promise<void> {
    if (this.ended || this.socket.destroyed) return Promise.reject(new ReplicationError("link closed"));
    return new Promise((resolve, reject) => {
      this.socket.write(buf, (err) =>
        err ? reject(new ReplicationError("link write failed", { cause: err })) : resolve(),
      );
    });
  }

  close(): void {
    this.finish(true);
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    const reader = this.reader;
    if (reader !== null) {
      this.reader = null;
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

  /** Ends the stream and destroys the socket; what arrived before the end stays readable unless `discard`. */
  private finish(discard: boolean): void {
    if (discard) {
      this.chunks.length = 0;
      this.buffered = 0;
    }
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    const reader = this.reader;
    this.reader = null;
    reader?.(null);
  }
}

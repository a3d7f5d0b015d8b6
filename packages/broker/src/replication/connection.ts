/**
 * A framed, optionally encrypted message channel over an upgraded socket: both ends of a
 * replication link use it. Any protocol or authentication failure destroys the socket.
 */
import type { Socket } from "node:net";
import type { LinkCipher } from "./cipher.ts";
import { encodeFrame, FrameReader } from "./frames.ts";
import { type LinkMessage, parseMessage } from "./messages.ts";

export class LinkConnection {
  private readonly reader = new FrameReader();
  private closed = false;
  /** Set by the owner; gets every message in order. */
  onMessage: (msg: LinkMessage) => void = () => {};
  /** Set by the owner; called once when the link ends (with the error, if one ended it). */
  onClose: (err?: Error) => void = () => {};

  constructor(
    readonly socket: Socket,
    private readonly cipher: LinkCipher | null,
    head?: Buffer,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (err) => this.close(err));
    socket.on("close", () => this.close());
    if (head !== undefined && head.length > 0) queueMicrotask(() => this.receive(head));
  }

  /** Sends a message; returns false when the socket asks to wait for 'drain'. */
  send(msg: LinkMessage): boolean {
    if (this.closed) return false;
    const plain = Buffer.from(JSON.stringify(msg));
    return this.socket.write(encodeFrame(this.cipher === null ? plain : this.cipher.seal(plain)));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(err);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.reader.push(chunk)) {
        const plain = this.cipher === null ? frame : this.cipher.open(frame);
        this.onMessage(parseMessage(plain));
        if (this.closed) return;
      }
    } catch (err) {
      this.close(err as Error);
    }
  }
}

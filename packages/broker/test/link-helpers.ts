/**
 * A raw replication client for tests that play a stranger or a forger: it opens the HTTP upgrade
 * itself and speaks the link protocol frame by frame, so tests control every byte.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import type { Socket } from "node:net";
import { LinkCipher } from "../src/replication/cipher.ts";
import { encodeFrame, FrameReader } from "../src/replication/frames.ts";
import { REPLICATION_PATH, REPLICATION_PROTOCOL } from "../src/replication/http-network.ts";

/** One raw link: send objects (sealed once opened with a key), read what the node says. */
export class RawLink {
  readonly received: unknown[] = [];
  closed = false;
  private readonly reader = new FrameReader();
  private cipher: LinkCipher | null = null;
  private opened = false;
  private readonly nonce: Buffer | null;

  private constructor(
    readonly socket: Socket,
    private readonly key: Uint8Array | null,
    head: Buffer,
  ) {
    this.nonce = key === null ? null : randomBytes(16);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {
      this.closed = true;
    });
    if (head.length > 0) this.onData(head);
  }

  /** Upgrades a connection to `port`; resolves once the node switched protocols. */
  static open(port: number, key: Uint8Array | null = null): Promise<RawLink> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: REPLICATION_PATH,
        headers: { Connection: "Upgrade", Upgrade: REPLICATION_PROTOCOL },
      });
      req.on("upgrade", (_res, socket: Socket, head: Buffer) => resolve(new RawLink(socket, key, head)));
      req.on("response", (res) => reject(new Error(`answered ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
  }

  /** Sends the opening frame (with our nonce when we have a key). */
  sendOpening(): void {
    this.socket.write(
      encodeFrame(Buffer.from(JSON.stringify({ v: 2, n: this.nonce?.toString("base64url") ?? null }))),
    );
  }

  /** Sends one message (sealed when a key is in use and the node's opening arrived). */
  send(msg: unknown): void {
    const plain = Buffer.from(JSON.stringify(msg));
    this.socket.write(encodeFrame(this.cipher === null ? plain : this.cipher.seal(plain)));
  }

  /** Writes raw bytes. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  get isOpen(): boolean {
    return this.opened;
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      if (!this.opened) {
        this.opened = true;
        const { n } = JSON.parse(frame.toString()) as { n: string | null };
        if (this.key !== null && n !== null)
          this.cipher = new LinkCipher(this.key, this.nonce!, Buffer.from(n, "base64url"), "client");
        continue;
      }
      this.received.push(JSON.parse((this.cipher === null ? frame : this.cipher.open(frame)).toString()));
    }
  }
}

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

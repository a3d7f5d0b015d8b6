/**
 * A subscriber's connection on the simulator: the response object the broker's hub writes an
 * event stream to, and the client at the other end that parses it and records every frame for the
 * checker. The client sits next to its node (no network between them), reading either at once or,
 * for a slow subscriber, at a fixed byte rate: bytes it has not read pile up first in the kernel's
 * socket buffer, then in the writer's, and `write` returns false once those pass Node's high-water
 * mark, so the broker's own backpressure and eviction run as they would on a socket.
 */
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { Runtime } from "@shoal/memberlist";
import type { StreamFrame, StreamSession } from "./history.ts";

/** Node's default writable high-water mark: `write` returns false past it. */
const HIGH_WATER = 16 * 1024;
/** What the kernel holds for a slow reader before the writer starts buffering (a small loopback buffer). */
const KERNEL_BUFFER = 32 * 1024;
/** A slow reader takes its bytes in these steps. */
const READ_STEP_MS = 50;

/** The socket side the broker's Subscriber uses. */
class SimSocket extends EventEmitter {
  destroyed = false;
  /** Bytes written and not yet read by the client. */
  private pending = "";
  private wantDrain = false;
  private reading = false;

  constructor(
    private readonly conn: SimSseConnection,
    private readonly runtime: Runtime,
    /** Bytes per second the client reads now; 0 reads everything at once. */
    private readonly readRate: () => number,
  ) {
    super();
  }

  get writableLength(): number {
    return Math.max(0, this.pending.length - KERNEL_BUFFER);
  }

  write(chunk: string | Buffer): boolean {
    if (this.destroyed) return false;
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (this.readRate() === 0 && this.pending.length === 0) {
      this.conn.receive(text);
      return true;
    }
    this.pending += text;
    this.scheduleRead();
    if (this.writableLength < HIGH_WATER) return true;
    this.wantDrain = true;
    return false;
  }

  end(tail?: string | Buffer): void {
    if (this.destroyed) return;
    if (tail !== undefined) this.pending += typeof tail === "string" ? tail : tail.toString("utf8");
    // An orderly close: the client still reads what was sent before the FIN.
    const rest = this.pending;
    this.pending = "";
    this.conn.receive(rest);
    this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pending = "";
    this.conn.closed(true);
  }

  private scheduleRead(): void {
    if (this.reading) return;
    this.reading = true;
    this.runtime.setTimer(READ_STEP_MS, () => {
      this.reading = false;
      if (this.destroyed) return;
      const rate = this.readRate();
      const n = rate === 0 ? this.pending.length : Math.max(1, Math.floor((rate * READ_STEP_MS) / 1000));
      const taken = this.pending.slice(0, n);
      this.pending = this.pending.slice(n);
      this.conn.receive(taken);
      if (this.destroyed) return;
      if (this.wantDrain && this.writableLength === 0) {
        this.wantDrain = false;
        this.emit("drain");
      }
      if (this.pending.length > 0) this.scheduleRead();
    });
  }
}

/** What the hub's `subscribe` touches on a response. */
class SimResponse extends EventEmitter {
  readonly chunkedEncoding = false;
  constructor(readonly socket: SimSocket) {
    super();
  }
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
}

/**
 * One stream: the response handed to the hub and the client parsing what arrives. `onEnd` runs
 * once when the stream ends for any reason the client can see (the server closed or dropped it);
 * a crash of the node is the harness's to report ({@link SimSseConnection.lost}).
 */
export class SimSseConnection {
  readonly session: StreamSession;
  readonly response: ServerResponse;
  /** The last `id:` seen (what a reconnect sends as Last-Event-ID). */
  lastEventId: string | null;
  open = true;
  private buf = "";
  private cur: { id?: string; event?: string; data: string[] } = { data: [] };

  constructor(
    node: string,
    /** The serving node's run (its origin). */
    run: string,
    lastEventId: string | null,
    runtime: Runtime,
    private readonly clock: () => number,
    readRate: () => number,
    private readonly onEnd: (conn: SimSseConnection) => void,
  ) {
    this.lastEventId = lastEventId;
    this.session = { node, run, openedAt: clock(), lastEventId, frames: [] };
    this.response = new SimResponse(new SimSocket(this, runtime, readRate)) as unknown as ServerResponse;
  }

  /** The node died under the stream: nothing more arrives, the client notices. */
  lost(): void {
    if (!this.open) return;
    (this.response.socket as unknown as SimSocket).destroyed = true;
    this.closed(false);
  }

  /** @internal The socket ended; `tellServer`: the server's process is alive to see it. */
  closed(tellServer: boolean): void {
    if (!this.open) return;
    this.open = false;
    if (tellServer) this.response.emit("close");
    this.onEnd(this);
  }

  /** @internal Bytes the client read. */
  receive(text: string): void {
    if (!this.open) return;
    this.buf += text;
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      const { id, event, data } = this.cur;
      this.cur = { data: [] };
      if (id !== undefined) this.lastEventId = id;
      if (data.length === 0) return;
      const at = this.clock();
      let frame: StreamFrame | null = null;
      if (event === "shoal-ready" && id !== undefined) frame = { kind: "ready", id, at };
      else if (event === "reset")
        frame = id === undefined ? { kind: "reset", at } : { kind: "reset", id, at };
      else if ((event === undefined || event === "message") && id !== undefined)
        frame = { kind: "event", token: data.join("\n"), id, at };
      if (frame !== null) this.session.frames.push(frame);
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.cur.data.push(value);
    else if (field === "event") this.cur.event = value;
    else if (field === "id") this.cur.id = value;
  }
}

/**
 * The sending half of replication towards one peer: a persistent connection (HTTP upgrade on
 * the peer's broker port) over which this node's own events go out in batches. The peer acks
 * the highest seq it applied; unacknowledged events are re-sent after a reconnect, taken from
 * the shared {@link OriginLog} (the per-peer outbox is just the acked position in it).
 */

import { randomBytes } from "node:crypto";
import { request } from "node:http";
import type { Socket } from "node:net";
import { splitHostPort } from "@shoal/memberlist";
import type { Hub } from "../core/hub.ts";
import { ReplicationError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Peer } from "../membership/membership.ts";
import { LinkCipher } from "./cipher.ts";
import { LinkConnection } from "./connection.ts";
import { type LinkMessage, REPLICATION_PATH, REPLICATION_PROTOCOL, toWire } from "./messages.ts";

/** Settings shared by every outbound link. */
export interface LinkSettings {
  nodeName: string;
  secret: Uint8Array | null;
  /** Most events per frame. */
  batchEvents: number;
  /** Most events sent and not yet acknowledged. */
  windowEvents: number;
  connectTimeoutMs: number;
  logger: Logger;
}

export class OutboundLink {
  /** Highest own seq the peer acknowledged. */
  acked = 0;
  /** Highest own seq sent on the current connection. */
  private sent = 0;
  private conn: LinkConnection | null = null;
  private ready = false;
  private closed = false;
  private pumpScheduled = false;
  private waitingDrain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 50;
  /** Consecutive failed attempts, and whether the link ever worked (for log levels). */
  private failures = 0;
  private everUp = false;

  constructor(
    readonly peer: Peer,
    private readonly hub: Hub,
    private readonly settings: LinkSettings,
  ) {}

  get connected(): boolean {
    return this.ready;
  }

  /** Events accepted here that the peer has not acknowledged. */
  get lagEvents(): number {
    return Math.max(0, this.hub.log.lastSeq - this.acked);
  }

  /** Age of the oldest event the peer has not acknowledged, ms (0 when none). */
  get lagMs(): number {
    const oldest = this.hub.log.after(this.acked, 1)[0];
    return oldest === undefined ? 0 : Math.max(0, Date.now() - oldest.time);
  }

  start(): void {
    this.connect();
  }

  /** New events are in the log: send them at the next turn (coalesces bursts into batches). */
  kick(): void {
    if (this.pumpScheduled || !this.ready) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.conn?.close();
  }

  private connect(): void {
    if (this.closed) return;
    const target = splitHostPort(this.peer.httpAddr);
    if (target === null) {
      this.retryLater(new ReplicationError(`not a host:port address: '${this.peer.httpAddr}'`));
      return;
    }
    const clientNonce = randomBytes(16);
    const req = request({
      host: target.host,
      port: target.port,
      path: REPLICATION_PATH,
      method: "GET",
      timeout: this.settings.connectTimeoutMs,
      headers: {
        Connection: "Upgrade",
        Upgrade: REPLICATION_PROTOCOL,
        "X-Shoal-Nonce": clientNonce.toString("base64url"),
        "X-Shoal-Node": this.settings.nodeName,
      },
    });
    req.on("upgrade", (res, socket: Socket, head: Buffer) => {
      let cipher: LinkCipher | null = null;
      if (this.settings.secret !== null) {
        const serverNonce = Buffer.from(String(res.headers["x-shoal-nonce"] ?? ""), "base64url");
        if (serverNonce.length !== 16) {
          socket.destroy();
          this.retryLater(new ReplicationError("peer did not send a nonce (no key configured there?)"));
          return;
        }
        cipher = new LinkCipher(this.settings.secret, clientNonce, serverNonce, "client");
      }
      req.setTimeout(0);
      socket.setTimeout(0);
      this.attach(new LinkConnection(socket, cipher, head));
    });
    req.on("response", (res) => {
      res.resume();
      this.retryLater(new ReplicationError(`peer answered ${res.statusCode} instead of upgrading`));
    });
    req.on("timeout", () => req.destroy(new ReplicationError("connect timeout")));
    req.on("error", (err) => this.retryLater(err));
    req.end();
  }

  private attach(conn: LinkConnection): void {
    if (this.closed) {
      conn.close();
      return;
    }
    this.conn = conn;
    conn.onMessage = (msg) => this.onMessage(msg);
    conn.onClose = (err) => {
      this.ready = false;
      this.conn = null;
      this.retryLater(err);
    };
    conn.socket.on("drain", () => {
      this.waitingDrain = false;
      this.pump();
    });
    conn.send({ t: "hello", node: this.settings.nodeName, origin: this.hub.origin });
  }

  private onMessage(msg: LinkMessage): void {
    if (msg.t === "welcome") {
      this.ready = true;
      this.backoffMs = 50;
      this.failures = 0;
      this.everUp = true;
      // The peer's word is authoritative: after a restart it may know less than it once did.
      this.acked = Math.min(msg.acked, this.hub.log.lastSeq);
      this.sent = this.acked;
      this.settings.logger.debug("replication link up", { peer: this.peer.name, acked: msg.acked });
      this.pump();
    } else if (msg.t === "ack") {
      if (msg.s > this.acked) this.acked = Math.min(msg.s, this.sent);
      this.pump();
    } else {
      this.conn?.close(new ReplicationError(`unexpected ${msg.t} on outbound link`));
    }
  }

  /** Sends batches while the window and the socket allow. */
  private pump(): void {
    const conn = this.conn;
    if (conn === null || !this.ready || this.waitingDrain) return;
    const log = this.hub.log;
    while (this.sent < log.lastSeq && this.sent - this.acked < this.settings.windowEvents) {
      const room = Math.min(this.settings.batchEvents, this.settings.windowEvents - (this.sent - this.acked));
      const batch = log.after(this.sent, room);
      if (batch.length === 0) {
        this.sent = log.lastSeq; // the rest was dropped from the bounded log: the peer gets a gap
        break;
      }
      this.sent = batch[batch.length - 1]!.seq;
      const ok = conn.send({ t: "events", e: batch.map(toWire) });
      if (!ok) {
        this.waitingDrain = true;
        break;
      }
    }
  }

  private retryLater(err?: Error): void {
    this.ready = false;
    this.waitingDrain = false;
    if (this.closed || this.retryTimer !== null) return;
    this.failures++;
    // Warn when a working link breaks, and once when a peer stays unreachable; retries are debug.
    const fields = { peer: this.peer.name, httpAddr: this.peer.httpAddr, error: err?.message ?? "closed" };
    if (this.failures === 1 && this.everUp) this.settings.logger.warn("replication link lost", fields);
    else if (this.failures === 10) this.settings.logger.warn("replication link cannot connect", fields);
    else this.settings.logger.debug("replication link down", fields);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(2_000, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}

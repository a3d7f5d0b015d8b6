/**
 * The receiving half of replication: accepts the HTTP upgrade on the broker's port, checks
 * the peer (its first frame must authenticate when a key is set), applies its events to the hub
 * (de-duplicated by origin + seq) and acknowledges them.
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { splitHostPort } from "@shoal/memberlist";
import type { Hub } from "../core/hub.ts";
import { ReplicationError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Membership } from "../membership/membership.ts";
import { LinkCipher } from "./cipher.ts";
import { LinkConnection } from "./connection.ts";
import { fromWire, type LinkMessage, REPLICATION_PATH, REPLICATION_PROTOCOL } from "./messages.ts";

/** Time a peer has to say hello after the upgrade. */
const HELLO_TIMEOUT_MS = 10_000;
/** Acks wait at most this long... */
const ACK_DELAY_MS = 5;
/** ...or until this many events are unacknowledged (well below the sender's window). */
const ACK_EVERY_EVENTS = 1024;
/** Most inbound links at once: a few per peer is normal; more is someone misbehaving. */
const MAX_INBOUND_LINKS = 256;

export class InboundLinks {
  private readonly open = new Set<LinkConnection>();
  /** Events applied from peers, by origin, and their last observed end-to-end delay. */
  lastDelayMs = 0;

  constructor(
    private readonly hub: Hub,
    private readonly membership: Membership,
    private readonly secret: Uint8Array | null,
    private readonly logger: Logger,
  ) {}

  /**
   * Without a key there is no cryptographic check, so a link must at least come from a current
   * member: its name must be a member's and its address that member's host. (With a key, the
   * first frame authenticates it.) A peer we have not heard of yet simply retries.
   */
  private isMember(name: string, remoteAddress: string | undefined): boolean {
    const remote = (remoteAddress ?? "").replace(/^::ffff:/, "");
    for (const m of this.membership.status().members) {
      if (m.name !== name) continue;
      const hosts = [m.gossipAddr, m.httpAddr ?? ""].map((a) => splitHostPort(a)?.host);
      return hosts.includes(remote);
    }
    return false;
  }

  get count(): number {
    return this.open.size;
  }

  /** True when this upgrade request is ours (then it has been handled). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? "";
    if (url !== REPLICATION_PATH || String(req.headers.upgrade ?? "").toLowerCase() !== REPLICATION_PROTOCOL)
      return false;
    if (this.open.size >= MAX_INBOUND_LINKS) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    let cipher: LinkCipher | null = null;
    let nonceHeader = "";
    if (this.secret !== null) {
      const clientNonce = Buffer.from(String(req.headers["x-shoal-nonce"] ?? ""), "base64url");
      if (clientNonce.length !== 16) {
        socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return true;
      }
      const serverNonce = randomBytes(16);
      cipher = new LinkCipher(this.secret, clientNonce, serverNonce, "server");
      nonceHeader = `X-Shoal-Nonce: ${serverNonce.toString("base64url")}\r\n`;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${REPLICATION_PROTOCOL}\r\nConnection: Upgrade\r\n${nonceHeader}\r\n`,
    );
    const conn = new LinkConnection(socket as Socket, cipher, head);
    this.open.add(conn);
    let origin: string | null = null;
    const helloTimer = setTimeout(() => conn.close(new ReplicationError("no hello")), HELLO_TIMEOUT_MS);
    helloTimer.unref();
    let unacked = 0;
    let ackTimer: NodeJS.Timeout | null = null;
    const sendAck = () => {
      if (ackTimer !== null) clearTimeout(ackTimer);
      ackTimer = null;
      unacked = 0;
      if (origin !== null) conn.send({ t: "ack", s: this.hub.applied.get(origin) ?? 0 });
    };
    conn.onClose = (err) => {
      clearTimeout(helloTimer);
      if (ackTimer !== null) clearTimeout(ackTimer);
      this.open.delete(conn);
      if (err !== undefined) this.logger.warn("inbound replication link closed", { error: err.message });
    };
    conn.onMessage = (msg: LinkMessage) => {
      if (origin === null) {
        if (msg.t !== "hello") throw new ReplicationError("expected hello");
        if (this.secret === null && !this.isMember(msg.node, (socket as Socket).remoteAddress))
          throw new ReplicationError(`refusing replication from non-member ${msg.node}`);
        clearTimeout(helloTimer);
        origin = msg.origin;
        conn.send({
          t: "welcome",
          node: this.membership.localName,
          acked: this.hub.applied.get(origin) ?? 0,
        });
        return;
      }
      if (msg.t !== "events") throw new ReplicationError(`unexpected ${msg.t} on inbound link`);
      const now = Date.now();
      for (const w of msg.e) {
        const ev = fromWire(origin, w);
        this.hub.apply(ev);
        this.lastDelayMs = Math.max(0, now - ev.time);
      }
      unacked += msg.e.length;
      // Acks only move the sender's window and outbox: a short delay lets one ack cover several
      // frames at moderate rates (one syscall each way saved), but never lets the window fill.
      if (unacked >= ACK_EVERY_EVENTS) sendAck();
      else if (ackTimer === null) {
        ackTimer = setTimeout(sendAck, ACK_DELAY_MS);
        ackTimer.unref();
      }
    };
    return true;
  }

  closeAll(): void {
    for (const conn of [...this.open]) conn.close();
  }
}

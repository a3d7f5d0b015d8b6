/**
 * The sending half of replication towards one peer: a persistent link (dialled through the
 * {@link LinkNetwork}) over which this node's own events go out in batches, plus repairs of other
 * origins' events the peer lacks (see `repair.ts`). The peer acks the highest own seq it holds;
 * what is unacknowledged is re-sent after a reconnect, taken from the shared {@link OriginLog}.
 *
 * The peer proves who it is by where it was reached: we dial the address the member list gives,
 * so its `welcome` tells us its origin (which our inbound side then requires of its `hello`s).
 */
import type { BrokerEvent } from "../core/event.ts";
import type { Hub } from "../core/hub.ts";
import { ReplicationError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Peer } from "../membership/membership.ts";
import type { ReplicationDriver, Timer } from "./driver.ts";
import { MAX_FRAME_BYTES } from "./frames.ts";
import { Link } from "./link.ts";
import { type LinkMessage, toWire } from "./messages.ts";

/**
 * Event data per frame, at most (a single larger event still goes alone). A frame may not pass
 * {@link MAX_FRAME_BYTES}, and a batch of `batchEvents` 1 MB events (the default largest publish)
 * did, which threw on every send: the link never carried them. An eighth of the frame leaves room
 * for JSON escaping (up to 6 bytes per character of data) and the other fields.
 */
const BATCH_DATA_BYTES = MAX_FRAME_BYTES / 8;

/** The longest head of `events` whose data fits {@link BATCH_DATA_BYTES} (at least one event). */
function fitFrame(events: BrokerEvent[]): BrokerEvent[] {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    bytes += events[i]!.data.length;
    if (bytes > BATCH_DATA_BYTES && i > 0) return events.slice(0, i);
  }
  return events;
}

/** Settings shared by every outbound link. */
export interface LinkSettings {
  nodeName: string;
  secret: Uint8Array | null;
  /** Most events per frame. */
  batchEvents: number;
  /** Most own events sent and not yet acknowledged. */
  windowEvents: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/** What an outbound link tells its owner. */
export interface OutboundEvents {
  /** The peer said who it is (its origin), on every (re)connect. */
  welcomed(link: OutboundLink, origin: string): void;
  /** The peer acknowledged more of our events. */
  acked(link: OutboundLink): void;
}

/** Repairs queued for the peer: another origin's events, sent after `after`. */
interface RepairJob {
  events: BrokerEvent[];
  next: number;
  after: number;
  /** Highest seq of the origin we ever held (sent with the last frame). */
  held: number;
}

export class OutboundLink {
  /** Highest own seq the peer acknowledged. */
  acked = 0;
  /** The peer's origin, from its last welcome (null before the first). */
  peerOrigin: string | null = null;
  /** Highest own seq sent on the current connection. */
  private sent = 0;
  private link: Link | null = null;
  private ready = false;
  private closed = false;
  private pumpTimer: Timer | null = null;
  private waitingDrain = false;
  private retryTimer: Timer | null = null;
  private backoffMs = 50;
  /** Consecutive failed attempts, and whether the link ever worked (for log levels). */
  private failures = 0;
  private everUp = false;
  private readonly repairs = new Map<string, RepairJob>();

  constructor(
    readonly peer: Peer,
    private readonly hub: Hub,
    private readonly settings: LinkSettings,
    private readonly driver: ReplicationDriver,
    private readonly owner: OutboundEvents,
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
    return oldest === undefined ? 0 : Math.max(0, this.driver.wallClock() - oldest.time);
  }

  start(): void {
    this.connect();
  }

  /**
   * New events are in the log. The first of a turn goes out at once: a publisher in `one`/`all`
   * mode waits for the peer's ack of it, and deferring it to the next turn added the rest of the
   * turn (other sockets' callbacks, the local subscribers' writes) to that wait, and to the
   * cross-node delivery. Events published later in the same turn are coalesced into one frame at
   * the next turn, so bursts still travel in batches.
   */
  kick(): void {
    if (this.pumpTimer !== null || !this.ready) return;
    this.pumpTimer = this.driver.runtime.setTimer(0, () => {
      this.pumpTimer = null;
      this.pumpOrClose();
    });
    this.pumpOrClose();
  }

  /** Tells the peer what we hold, so it can repair us. */
  sendHave(vector: [string, number][]): void {
    if (this.ready) this.link?.send({ t: "have", v: vector });
  }

  /**
   * Queues `events` of `origin` (after seq `after`, in seq order; `held` the highest we ever held)
   * for the peer, unless one is under way.
   */
  repair(origin: string, after: number, events: BrokerEvent[], held: number): void {
    if (!this.ready || this.repairs.has(origin)) return;
    this.repairs.set(origin, { events, next: 0, after, held });
    this.kick();
  }

  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    this.pumpTimer?.cancel();
    this.link?.close();
  }

  private connect(): void {
    if (this.closed) return;
    this.driver.network.dial(this.peer.httpAddr, this.settings.connectTimeoutMs).then(
      (stream) => {
        if (this.closed) {
          stream.close();
          return;
        }
        const link = new Link(stream, this.driver.runtime, this.settings.secret, "client");
        this.link = link;
        link.onOpen = () => link.send({ t: "hello", node: this.settings.nodeName, origin: this.hub.origin });
        link.onMessage = (msg) => this.onMessage(link, msg);
        link.onDrain = () => {
          this.waitingDrain = false;
          this.pump();
        };
        link.onClose = (err) => {
          if (this.link === link) this.link = null;
          this.retryLater(err);
        };
      },
      (err: Error) => this.retryLater(err),
    );
  }

  private onMessage(link: Link, msg: LinkMessage): void {
    if (msg.t === "welcome") {
      if (msg.node !== this.peer.name) {
        link.close(
          new ReplicationError(`${this.peer.httpAddr} says it is ${msg.node}, not ${this.peer.name}`),
        );
        return;
      }
      link.trust();
      this.ready = true;
      this.backoffMs = 50;
      this.failures = 0;
      this.everUp = true;
      this.peerOrigin = msg.origin;
      this.repairs.clear();
      const log = this.hub.log;
      // The peer's word is authoritative: after a restart it may know less than it once did.
      this.acked = Math.min(msg.acked, log.lastSeq);
      this.sent = this.acked;
      if (this.sent < log.firstSeq - 1) {
        // Our outbox no longer has what the peer needs: say so, rather than skip silently.
        this.sent = log.firstSeq - 1;
        link.send({ t: "gap", to: this.sent });
      }
      this.settings.logger.debug("replication link up", { peer: this.peer.name, acked: msg.acked });
      this.owner.welcomed(this, msg.origin);
      this.pump();
    } else if (msg.t === "ack") {
      if (msg.s > this.acked) {
        this.acked = Math.min(msg.s, this.sent);
        this.owner.acked(this);
      }
      this.pump();
    } else {
      link.close(new ReplicationError(`unexpected ${msg.t} on outbound link`));
    }
  }

  /**
   * {@link pump} outside a link callback (a publish, a timer): a failure to send closes the link
   * (it reconnects), as it would inside one, rather than reach the publisher or the event loop.
   */
  private pumpOrClose(): void {
    try {
      this.pump();
    } catch (err) {
      this.link?.close(err as Error);
    }
  }

  /** Sends own events while the window and the link allow, then repairs. */
  private pump(): void {
    const link = this.link;
    if (link === null || !this.ready || this.waitingDrain) return;
    const log = this.hub.log;
    const window = this.settings.windowEvents;
    while (this.sent < log.lastSeq && this.sent - this.acked < window) {
      const room = Math.min(this.settings.batchEvents, window - (this.sent - this.acked));
      if (this.sent < log.firstSeq - 1) {
        this.sent = log.firstSeq - 1; // dropped from the bounded log meanwhile
        link.send({ t: "gap", to: this.sent });
        continue;
      }
      const batch = fitFrame(log.after(this.sent, room));
      this.sent = batch[batch.length - 1]!.seq;
      if (!link.send({ t: "events", e: batch.map(toWire) })) {
        this.waitingDrain = true;
        return;
      }
    }
    for (const [origin, job] of this.repairs) {
      do {
        const batch = fitFrame(job.events.slice(job.next, job.next + this.settings.batchEvents));
        job.next += batch.length;
        const last = job.next >= job.events.length;
        const wire = batch.map(toWire);
        const ok = link.send(
          last
            ? { t: "repair", o: origin, a: job.after, e: wire, h: job.held }
            : { t: "repair", o: origin, a: job.after, e: wire },
        );
        job.after = batch[batch.length - 1]?.seq ?? job.after;
        if (!ok) {
          this.waitingDrain = true;
          if (last) this.repairs.delete(origin);
          return;
        }
      } while (job.next < job.events.length);
      this.repairs.delete(origin);
    }
  }

  private retryLater(err?: Error): void {
    this.ready = false;
    this.waitingDrain = false;
    this.repairs.clear();
    if (this.closed || this.retryTimer !== null) return;
    this.failures++;
    // Warn when a working link breaks, and once when a peer stays unreachable; retries are debug.
    const fields = { peer: this.peer.name, httpAddr: this.peer.httpAddr, error: err?.message ?? "closed" };
    if (this.failures === 1 && this.everUp) this.settings.logger.warn("replication link lost", fields);
    else if (this.failures === 10) this.settings.logger.warn("replication link cannot connect", fields);
    else this.settings.logger.debug("replication link down", fields);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(2_000, this.backoffMs * 2);
    this.retryTimer = this.driver.runtime.setTimer(delay, () => {
      this.retryTimer = null;
      this.connect();
    });
  }
}

/**
 * The receiving half of replication: links peers opened to us. Who may speak, and what:
 *
 * - A stream that has not said a valid `hello` yet is a stranger. Strangers get their own small
 *   allowance ({@link InboundLimits.maxHandshakes}, short timeout, small frames); when it is full the
 *   oldest stranger is evicted, so junk can never take the place of a member.
 * - `hello` must name a live member (without a key, from that member's host; with a key, the
 *   sealed frame already proves the key). Its origin must be the one that member told us itself
 *   when we dialled the address the member list gives (our outbound link's `welcome`); until we
 *   know it, the link is paused. A mismatch closes the link.
 * - One link per member: a newer one replaces the older; a member that leaves loses its link.
 * - A link carries its own node's events, strictly in sequence: a seq that skips ahead or goes
 *   back is refused (logged, counted, link closed), so it can never poison de-duplication.
 *   `repair` frames may carry other origins' events, only for origins no live member owns.
 */
import { splitHostPort } from "@shoal/memberlist";
import type { Hub } from "../core/hub.ts";
import { ReplicationError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Membership } from "../membership/membership.ts";
import type { ReplicationDriver, Stream, Timer } from "./driver.ts";
import { Link } from "./link.ts";
import { fromWire, type LinkMessage } from "./messages.ts";

/** Bounds on inbound links. */
export interface InboundLimits {
  /**
   * Links still in their opening exchange, at once. Peers open at most one link each to us and
   * finish the exchange in a couple of round trips, so a small number covers even a whole
   * cluster restarting; past it, the oldest stranger is dropped.
   */
  maxHandshakes: number;
  /** Time a stranger has to open and say a valid `hello`, ms (a few round trips on any LAN). */
  handshakeTimeoutMs: number;
  /** Time a member's link may wait for its origin to be confirmed, ms (our dial + welcome). */
  verifyTimeoutMs: number;
}

/** Acks after the first of a turn wait for the end of the turn, or until this many events are unacknowledged. */
const ACK_EVERY_EVENTS = 1024;

/** Counters of refusals, for `/metrics`. */
export interface InboundCounters {
  /** Strangers evicted because the handshake allowance was full. */
  handshakesEvicted: number;
  /** Links closed for naming a non-member or the wrong origin. */
  identityRefused: number;
  /** Links closed for a seq that skipped ahead or went back. */
  seqRefused: number;
  /** Repair frames ignored (origin owned by a live member, or not contiguous with ours). */
  repairsIgnored: number;
  /** Events applied from repairs. */
  repaired: number;
}

/** What inbound links ask of the rest of replication. */
export interface InboundHooks {
  /** The origin `node` told us when we dialled it, if our link to it is up. */
  confirmedOrigin(node: string): string | null;
  /** True when `origin` is this node's or a live member's (only its owner may send it). */
  isOwnedOrigin(origin: string): boolean;
  /** A peer told us what it holds. */
  have(node: string, vector: [string, number][]): void;
}

class Inbound {
  node: string | null = null;
  origin: string | null = null;
  verified = false;
  /** Last own seq of the peer seen on this link. */
  last = 0;
  unacked = 0;
  ackTimer: Timer | null = null;
  timer: Timer | null = null;
  constructor(readonly link: Link) {}
}

export class InboundLinks {
  /** Links that have not said a valid hello, oldest first. */
  private readonly strangers = new Set<Inbound>();
  /** One link per member. */
  private readonly byNode = new Map<string, Inbound>();
  readonly counters: InboundCounters = {
    handshakesEvicted: 0,
    identityRefused: 0,
    seqRefused: 0,
    repairsIgnored: 0,
    repaired: 0,
  };
  /** Last observed end-to-end delay of an applied event, ms. */
  lastDelayMs = 0;

  constructor(
    private readonly hub: Hub,
    private readonly membership: Membership,
    private readonly secret: Uint8Array | null,
    private readonly driver: ReplicationDriver,
    private readonly limits: InboundLimits,
    private readonly hooks: InboundHooks,
    private readonly logger: Logger,
  ) {}

  /** Open inbound links (strangers included). */
  get count(): number {
    return this.strangers.size + this.byNode.size;
  }

  /** Links from members, confirmed. */
  get memberCount(): number {
    let n = 0;
    for (const s of this.byNode.values()) if (s.verified) n++;
    return n;
  }

  /** A peer opened a stream to us. */
  accept(stream: Stream): void {
    while (this.strangers.size >= this.limits.maxHandshakes) {
      const oldest = this.strangers.values().next().value!;
      this.counters.handshakesEvicted++;
      oldest.link.close(new ReplicationError("handshake allowance full: dropped the oldest stranger"));
    }
    const state = new Inbound(new Link(stream, this.driver.runtime, this.secret, "server"));
    this.strangers.add(state);
    state.timer = this.driver.runtime.setTimer(this.limits.handshakeTimeoutMs, () =>
      state.link.close(new ReplicationError("no valid hello in time")),
    );
    state.link.onMessage = (msg) => this.onMessage(state, msg);
    state.link.onClose = (err) => this.onClosed(state, err);
  }

  /** Our outbound link learned `node`'s origin: confirm (or refuse) its waiting inbound link. */
  originConfirmed(node: string, origin: string): void {
    const state = this.byNode.get(node);
    if (state === undefined || state.verified) {
      if (state !== undefined && state.origin !== origin) this.refuseIdentity(state, "origin changed");
      return;
    }
    if (state.origin === origin) this.verify(state);
    else this.refuseIdentity(state, `origin ${state.origin} is not ${node}'s (${origin})`);
  }

  /** `node` left or died: its link ends. */
  closeNode(node: string): void {
    this.byNode.get(node)?.link.close();
  }

  closeAll(): void {
    for (const s of [...this.strangers, ...this.byNode.values()]) s.link.close();
  }

  private onClosed(state: Inbound, err?: Error): void {
    state.timer?.cancel();
    state.ackTimer?.cancel();
    this.strangers.delete(state);
    if (state.node !== null && this.byNode.get(state.node) === state) this.byNode.delete(state.node);
    if (err === undefined) return;
    // Strangers are anyone on the network: their failures are not worth a warning each.
    if (state.node === null) this.logger.debug("replication handshake failed", { error: err.message });
    else this.logger.warn("inbound replication link closed", { peer: state.node, error: err.message });
  }

  private onMessage(state: Inbound, msg: LinkMessage): void {
    if (state.node === null) {
      this.hello(state, msg);
      return;
    }
    if (!state.verified) throw new ReplicationError("message before the link was confirmed");
    switch (msg.t) {
      case "events":
        this.events(state, msg.e);
        return;
      case "gap":
        if (msg.to <= state.last) this.refuseSeq(state, `gap to ${msg.to} goes back (at ${state.last})`);
        else {
          state.last = msg.to;
          this.hub.noteLost(state.origin!, msg.to);
          this.scheduleAck(state, 1);
        }
        return;
      case "repair":
        this.repair(state, msg.o, msg.a, msg.e, msg.h);
        return;
      case "have":
        this.hooks.have(state.node, msg.v);
        // The answer doubles as the keepalive the dialling side's watchdog listens for.
        state.link.send({ t: "ack", s: this.hub.applied.get(state.origin!) ?? 0 });
        return;
      default:
        throw new ReplicationError(`unexpected ${msg.t} on inbound link`);
    }
  }

  private hello(state: Inbound, msg: LinkMessage): void {
    if (msg.t !== "hello") throw new ReplicationError("expected hello");
    if (!this.isMember(msg.node, state.link.stream.remote.host)) {
      this.counters.identityRefused++;
      throw new ReplicationError(`refusing replication from ${msg.node}: not a live member`);
    }
    this.strangers.delete(state);
    state.timer?.cancel();
    state.node = msg.node;
    state.origin = msg.origin;
    this.byNode
      .get(msg.node)
      ?.link.close(new ReplicationError("replaced by a newer link from the same node"));
    this.byNode.set(msg.node, state);
    state.last = this.hub.applied.get(msg.origin) ?? 0;
    state.link.send({
      t: "welcome",
      node: this.membership.localName,
      origin: this.hub.origin,
      acked: state.last,
    });
    const confirmed = this.hooks.confirmedOrigin(msg.node);
    if (confirmed === msg.origin) {
      this.verify(state);
      return;
    }
    if (confirmed !== null) {
      this.refuseIdentity(state, `origin ${msg.origin} is not ${msg.node}'s (${confirmed})`);
      return;
    }
    // We have not reached that member ourselves yet: hold its frames until our link says who it is.
    state.link.pause();
    state.timer = this.driver.runtime.setTimer(this.limits.verifyTimeoutMs, () =>
      state.link.close(new ReplicationError("origin not confirmed in time")),
    );
  }

  private verify(state: Inbound): void {
    state.timer?.cancel();
    state.timer = null;
    state.verified = true;
    state.link.trust();
    state.link.resume();
  }

  private refuseIdentity(state: Inbound, why: string): void {
    this.counters.identityRefused++;
    state.link.close(new ReplicationError(`identity mismatch from ${state.node}: ${why}`));
  }

  private refuseSeq(state: Inbound, why: string): void {
    this.counters.seqRefused++;
    state.link.close(new ReplicationError(`refused events from ${state.node}: ${why}`));
  }

  private events(state: Inbound, wire: unknown[]): void {
    const origin = state.origin!;
    const now = this.driver.wallClock();
    for (const w of wire) {
      const ev = fromWire(origin, w);
      if (ev.seq !== state.last + 1) {
        this.refuseSeq(state, `seq ${ev.seq} after ${state.last}`);
        return;
      }
      state.last = ev.seq;
      // At or below what we hold: it came by repair already.
      if (ev.seq === (this.hub.applied.get(origin) ?? 0) + 1) this.hub.apply(ev);
      this.lastDelayMs = Math.max(0, now - ev.time);
    }
    this.scheduleAck(state, wire.length);
  }

  /** Another origin's events, from a member that holds them (the origin itself is gone). */
  private repair(state: Inbound, origin: string, after: number, wire: unknown[], senderHeld?: number): void {
    const held = this.hub.applied.get(origin) ?? 0;
    if (this.hooks.isOwnedOrigin(origin) || after > held) {
      this.counters.repairsIgnored++;
      return;
    }
    let prev = after;
    for (const w of wire) {
      const ev = fromWire(origin, w);
      if (ev.seq <= prev) {
        this.refuseSeq(state, `repair of ${origin} goes back (${ev.seq} after ${prev})`);
        return;
      }
      prev = ev.seq;
      const have = this.hub.applied.get(origin) ?? 0;
      if (ev.seq <= have) continue;
      // A hole: the sender holds nothing between (its history dropped them), and neither do we.
      if (ev.seq > have + 1) this.hub.noteLost(origin, ev.seq - 1);
      this.hub.apply(ev);
      this.counters.repaired++;
    }
    // What the sender once held past its last event is gone from its history: lost, unless we get
    // it from another survivor first (then this is a no-op).
    const now = this.hub.applied.get(origin) ?? 0;
    if (senderHeld !== undefined && senderHeld > now && prev >= now) this.hub.noteLost(origin, senderHeld);
  }

  /**
   * A publisher in `one`/`all` mode waits on our ack, so the first frame of a turn is acked at once
   * (waiting for the end of the turn added the rest of it, e.g. this node's writes to its own
   * subscribers, to every publish's latency). Frames that follow in the same turn are covered by one
   * ack at the end of it (or every {@link ACK_EVERY_EVENTS}), so a burst costs a few acks, not one each.
   */
  private scheduleAck(state: Inbound, events: number): void {
    state.unacked += events;
    if (state.ackTimer === null) {
      this.sendAck(state);
      state.ackTimer = this.driver.runtime.setTimer(0, () => {
        state.ackTimer = null;
        if (state.unacked > 0) this.sendAck(state);
      });
    } else if (state.unacked >= ACK_EVERY_EVENTS) this.sendAck(state);
  }

  private sendAck(state: Inbound): void {
    state.unacked = 0;
    if (!state.link.isClosed) state.link.send({ t: "ack", s: this.hub.applied.get(state.origin!) ?? 0 });
  }

  /**
   * Without a key there is no cryptographic check, so a link must at least come from a live
   * member: its name must be a member's and its address that member's host. (With a key, the
   * sealed hello already proved the key.)
   */
  private isMember(name: string, remote: string): boolean {
    if (name === this.membership.localName) return false;
    const peer = this.membership.peers().find((p) => p.name === name);
    if (peer === undefined) return false;
    if (this.secret !== null) return true;
    const hosts = [peer.httpAddr];
    for (const m of this.membership.status().members) if (m.name === name) hosts.push(m.gossipAddr);
    return hosts.some((addr) => splitHostPort(addr)?.host === remote);
  }
}

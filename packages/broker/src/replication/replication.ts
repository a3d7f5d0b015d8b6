/**
 * Replication as one object: outbound links (our events out), inbound links (peers' events in),
 * repair between survivors, and publishes that wait for their ack mode. It implements the
 * {@link EventPlane} the HTTP layer calls, and runs entirely on the {@link ReplicationDriver}
 * it is given (see `driver.ts` for the seam), so the simulator can run it unchanged.
 */
import type { BrokerEvent } from "../core/event.ts";
import type { Hub, PublishInput } from "../core/hub.ts";
import type { AckMode, EventPlane } from "../core/plane.ts";
import type { Logger } from "../log.ts";
import type { Membership } from "../membership/membership.ts";
import { AckWaiters } from "./acks.ts";
import type { ReplicationDriver, Stream } from "./driver.ts";
import { type InboundCounters, type InboundLimits, InboundLinks } from "./inbound.ts";
import { RepairExchange } from "./repair.ts";
import { type LinkStatus, Replicator } from "./replicator.ts";

/** Tunables of replication; {@link replicationDefaults} explains each default. */
export interface ReplicationSettings extends InboundLimits {
  /** This node's name (as in the member list). */
  nodeName: string;
  /** Cluster key: links are authenticated and encrypted with it. Null: open cluster. */
  secret: Uint8Array | null;
  ackMode: AckMode;
  /** How long a publish waits for its ack mode before a 503, ms. */
  ackTimeoutMs: number;
  /** Most events per frame. */
  batchEvents: number;
  /** Most own events sent to a peer and not yet acknowledged. */
  windowEvents: number;
  connectTimeoutMs: number;
  /** Interval of the `have` exchange that drives repair, ms. */
  repairIntervalMs: number;
  logger: Logger;
}

/** Defaults, with why. */
export const replicationDefaults = {
  /** Safe in a cluster: an acknowledged event survives the accepting node's death. */
  ackMode: "one" as AckMode,
  /**
   * A peer acks within a few ms on a LAN; 2 s rides out a GC pause or a link reconnect, and is
   * short enough that a publisher learns of a partition quickly.
   */
  ackTimeoutMs: 2_000,
  /** 512 events of typical size make frames of tens of KB: few syscalls, small latency. */
  batchEvents: 512,
  /** 8,192 unacked events keep a LAN link busy without letting a dead peer pin much. */
  windowEvents: 8_192,
  connectTimeoutMs: 5_000,
  /** Once a second: repair starts within a second of a death being known, for a few bytes a peer. */
  repairIntervalMs: 1_000,
  /** See {@link InboundLimits}: a whole cluster's worth of simultaneous opens, far below fd limits. */
  maxHandshakes: 32,
  handshakeTimeoutMs: 3_000,
  verifyTimeoutMs: 10_000,
};

export class Replication implements EventPlane {
  readonly replicator: Replicator;
  readonly inbound: InboundLinks;
  private readonly acks: AckWaiters;
  private readonly repair: RepairExchange;
  private closed = false;
  private readonly stopJoinWatch: (() => void) | null;

  constructor(
    private readonly hub: Hub,
    private readonly membership: Membership,
    private readonly driver: ReplicationDriver,
    readonly settings: ReplicationSettings,
  ) {
    const isOwned = (origin: string) => this.isOwnedOrigin(origin);
    this.replicator = new Replicator(hub, membership, settings, driver, {
      welcomed: (link, origin) => {
        this.inbound.originConfirmed(link.peer.name, origin);
        this.repair.announce(link);
        this.acks.check();
      },
      acked: () => this.acks.check(),
      left: (peer) => {
        this.inbound.closeNode(peer.name);
        this.repair.forget(peer.name);
        this.acks.check();
        this.repair.announce();
      },
    });
    this.inbound = new InboundLinks(
      hub,
      membership,
      settings.secret,
      driver,
      settings,
      {
        confirmedOrigin: (node) => {
          const link = this.replicator.link(node);
          return link?.connected ? link.peerOrigin : null;
        },
        isOwnedOrigin: isOwned,
        have: (node, vector) => this.repair.onHave(node, vector),
      },
      settings.logger,
    );
    this.repair = new RepairExchange(hub, this.replicator, driver, settings.repairIntervalMs, isOwned);
    hub.isLiveOrigin = isOwned;
    hub.mayStillArrive = (origin) =>
      isOwned(origin) ||
      this.repair.mayArriveFrom(
        origin,
        membership.peers().map((p) => p.name),
      );
    this.acks = new AckWaiters(settings.ackMode, settings.ackTimeoutMs, driver.runtime, {
      livePeers: () => this.membership.peers().map((p) => p.name),
      ackedBy: (peer) => {
        const link = this.replicator.link(peer);
        return link === undefined ? undefined : link.acked;
      },
      joining: () => this.membership.joining?.() === true,
    });
    this.stopJoinWatch = membership.onJoined?.(() => this.acks.check()) ?? null;
    driver.network.setAcceptHandler((stream: Stream) => {
      if (this.closed) stream.close();
      else this.inbound.accept(stream);
    });
  }

  /** Starts links to the live peers and the repair exchange. */
  start(): void {
    this.replicator.start();
    this.repair.start();
  }

  publish(input: PublishInput): Promise<BrokerEvent> {
    return this.acks.wait(this.hub.publish(input));
  }

  async waitReplicated(timeoutMs: number): Promise<boolean> {
    const deadline = this.driver.runtime.now() + timeoutMs;
    const pending = () => this.linkStatus().some((l) => l.connected && l.lagEvents > 0);
    while (pending()) {
      if (this.driver.runtime.now() > deadline) return false;
      await new Promise<void>((r) => this.driver.runtime.setTimer(10, r));
    }
    return true;
  }

  /** Per-peer outbound state for `/status` and `/metrics`. */
  linkStatus(): LinkStatus[] {
    return this.replicator.linkStatus();
  }

  /** Counters for `/metrics`. */
  get counters(): InboundCounters & { ackTimeouts: number; ackPending: number } {
    return { ...this.inbound.counters, ackTimeouts: this.acks.timeouts, ackPending: this.acks.pending };
  }

  close(): void {
    this.closed = true;
    this.stopJoinWatch?.();
    this.repair.close();
    this.acks.close();
    this.replicator.close();
    this.inbound.closeAll();
  }

  private isOwnedOrigin(origin: string): boolean {
    if (origin === this.hub.origin) return true;
    // Only a member we reach now owns its origin: one we cannot reach (crashed, restarted elsewhere
    // while the member list still names the old address) may be stood in for by the survivors.
    for (const link of this.replicator.all()) if (link.connected && link.peerOrigin === origin) return true;
    return false;
  }
}

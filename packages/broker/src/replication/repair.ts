/**
 * Survivors repair each other. Every node tells each peer, over its outbound link, the highest
 * seq it holds of every origin (`have`): when a link comes up, when a member leaves, and every
 * `intervalMs`. A node that holds more of an origin no live member owns (the origin died, left,
 * or restarted under a new origin) sends the difference from its histories (`repair`), so every
 * survivor ends with the same events of it, within history bounds. Each is applied once, in seq
 * order (the receiver only takes what continues what it holds).
 */
import type { Hub } from "../core/hub.ts";
import type { ReplicationDriver, Timer } from "./driver.ts";
import { MAX_HAVE_ORIGINS } from "./messages.ts";
import type { OutboundLink } from "./outbound.ts";
import type { Replicator } from "./replicator.ts";

export class RepairExchange {
  private timer: Timer | null = null;
  /** What each peer said it holds in its previous `have` (to see who is stuck). */
  private readonly lastHave = new Map<string, Map<string, number>>();
  private closed = false;

  constructor(
    private readonly hub: Hub,
    private readonly replicator: Replicator,
    private readonly driver: ReplicationDriver,
    private readonly intervalMs: number,
    /** True when `origin` is this node's or a live member's. */
    private readonly isOwned: (origin: string) => boolean,
  ) {}

  start(): void {
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  /** Sends our `have` to one peer (a link came up) or to all (a member left; the timer). */
  announce(to?: OutboundLink): void {
    const vector = this.vector();
    if (to !== undefined) to.sendHave(vector);
    else for (const link of this.replicator.all()) link.sendHave(vector);
  }

  /**
   * Peer `node` holds `vector`: send it what it lacks of origins no live member owns, and of any
   * other origin it has not advanced on since its last `have` (its owner cannot reach it: a
   * member list that has not caught up with a restart, a one-way partition). The receiver takes
   * only what its own view lets it (never a live owner's events it can get from the owner).
   */
  onHave(node: string, vector: [string, number][]): void {
    const theirs = new Map(vector);
    const before = this.lastHave.get(node);
    this.lastHave.set(node, theirs);
    const link = this.replicator.link(node);
    if (link === undefined || !link.connected) return;
    const now = this.driver.wallClock();
    for (const [origin, seq] of this.hub.applied) {
      const after = theirs.get(origin) ?? 0;
      if (seq <= after || origin === this.hub.origin) continue;
      // Nothing of it is held anywhere any more; the peer may have dropped it from its seq map.
      if (this.hub.isExpiredOrigin(origin, now)) continue;
      const stuck = before !== undefined && (before.get(origin) ?? 0) === after;
      if (this.isOwned(origin) && !stuck) continue;
      link.repair(origin, after, this.hub.heldAfter(origin, after), seq);
    }
  }

  /**
   * Whether `origin` may still reach us from `peers`: true when one of them said it holds some
   * of it, or when one has not told us what it holds yet (a node that just started or joined
   * cannot tell an origin it was never sent from one nobody has).
   */
  mayArriveFrom(origin: string, peers: string[]): boolean {
    for (const peer of peers) {
      const have = this.lastHave.get(peer);
      if (have === undefined || have.has(origin)) return true;
    }
    return false;
  }

  /** `node` left: forget what it last said it holds. */
  forget(node: string): void {
    this.lastHave.delete(node);
  }

  private vector(): [string, number][] {
    const now = this.driver.wallClock();
    const all = [...this.hub.applied].filter(([origin]) => !this.hub.isExpiredOrigin(origin, now));
    return all.length <= MAX_HAVE_ORIGINS ? all : all.slice(all.length - MAX_HAVE_ORIGINS);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.driver.runtime.setTimer(this.intervalMs, () => {
      this.announce();
      this.schedule();
    });
  }
}

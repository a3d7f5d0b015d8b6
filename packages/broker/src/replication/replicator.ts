/**
 * Keeps one outbound link per live peer, following membership, and fans every event accepted
 * here out to all of them.
 */
import type { Hub } from "../core/hub.ts";
import type { Membership, Peer } from "../membership/membership.ts";
import type { ReplicationDriver } from "./driver.ts";
import { type LinkSettings, type OutboundEvents, OutboundLink } from "./outbound.ts";

/** One outbound link, as `/status` and `/metrics` show it. */
export interface LinkStatus {
  peer: string;
  httpAddr: string;
  connected: boolean;
  /** Events accepted here that the peer has not acknowledged yet. */
  lagEvents: number;
  /** Age of the oldest of those, ms. */
  lagMs: number;
}

/** What the replicator tells its owner beyond what a link does. */
export interface ReplicatorEvents extends OutboundEvents {
  /** A peer left or died (its link is closed). */
  left(peer: Peer): void;
}

export class Replicator {
  private readonly links = new Map<string, OutboundLink>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly hub: Hub,
    private readonly membership: Membership,
    private readonly settings: LinkSettings,
    private readonly driver: ReplicationDriver,
    private readonly owner: ReplicatorEvents,
  ) {}

  start(): void {
    for (const peer of this.membership.peers()) this.add(peer);
    this.unsubscribe.push(
      this.membership.onChange((change) => {
        if (change.type === "join") this.add(change.peer);
        else this.remove(change.peer);
      }),
      this.hub.onPublished(() => {
        for (const link of this.links.values()) link.kick();
      }),
    );
  }

  /** The link to `name`, if it is a live peer. */
  link(name: string): OutboundLink | undefined {
    return this.links.get(name);
  }

  all(): IterableIterator<OutboundLink> {
    return this.links.values();
  }

  /** Per-peer state for `/status` and `/metrics`. */
  linkStatus(): LinkStatus[] {
    return [...this.links.values()].map((l) => ({
      peer: l.peer.name,
      httpAddr: l.peer.httpAddr,
      connected: l.connected,
      lagEvents: l.lagEvents,
      lagMs: l.lagMs,
    }));
  }

  close(): void {
    for (const fn of this.unsubscribe) fn();
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  private add(peer: Peer): void {
    const existing = this.links.get(peer.name);
    if (existing !== undefined) {
      if (existing.peer.httpAddr === peer.httpAddr) return;
      existing.close();
    }
    const link = new OutboundLink(peer, this.hub, this.settings, this.driver, this.owner);
    this.links.set(peer.name, link);
    link.start();
  }

  private remove(peer: Peer): void {
    this.links.get(peer.name)?.close();
    this.links.delete(peer.name);
    this.owner.left(peer);
  }
}

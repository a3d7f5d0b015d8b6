/** The data the dashboard page draws: one node's view of the cluster and its traffic. */
import type { LinkStatus } from "../replication/replicator.ts";
import type { MemberChange, MemberView } from "./members.ts";
import type { RateSample } from "./rate.ts";

/** A member with what this node knows about it beyond gossip. */
export interface DashboardMember extends MemberView {
  /** True for the node serving the dashboard. */
  local: boolean;
  /** Last direct-probe round trip, ms, and when it was measured; null when never probed. */
  rttMs: number | null;
  rttAt: number | null;
  /** When this node first saw the member in its current state, ms since the epoch. */
  since: number;
  /** The memberlist has forgotten it (dead or left long enough); kept here a while for the picture. */
  reaped: boolean;
}

/** A membership change with the time this node saw it. */
export type TimedChange = MemberChange & { time: number };

/** Everything one dashboard frame carries. */
export interface DashboardSnapshot {
  node: string;
  origin: string;
  time: number;
  /** Lifeguard health score of this node (0 = healthy). */
  healthScore: number;
  /** Members, this node first, then by name; at most {@link MAX_MEMBERS}. */
  members: DashboardMember[];
  memberCount: number;
  /** Channels with subscribers on this node, busiest first; at most {@link MAX_CHANNELS}. */
  channels: { name: string; subscribers: number }[];
  channelCount: number;
  /** Open event streams on this node. */
  connections: number;
  totals: { published: number; received: number; delivered: number };
  /** Per-second traffic, oldest first. */
  rates: RateSample[];
  replication: Pick<LinkStatus, "peer" | "connected" | "lagEvents">[];
  /** Recent membership changes, oldest first. */
  changes: TimedChange[];
  /** The event backplane (events then travel through it, not the replication links), or null. */
  backplane: { kind: string; target: string; state: string; since: number } | null;
}

/** Bounds on a snapshot, so a big cluster or many channels cannot make frames grow without end. */
export const MAX_MEMBERS = 512;
export const MAX_CHANNELS = 100;
export const MAX_CHANGES = 40;

/** Subscriber counts per channel, busiest first, capped. */
export function channelCounts(byChannel: Record<string, string[]>): {
  list: { name: string; subscribers: number }[];
  total: number;
} {
  const all = Object.entries(byChannel).map(([name, clients]) => ({ name, subscribers: clients.length }));
  all.sort((a, b) => b.subscribers - a.subscribers || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { list: all.slice(0, MAX_CHANNELS), total: all.length };
}

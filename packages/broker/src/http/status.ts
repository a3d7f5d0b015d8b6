/** The `/status` body (sse-cluster's fields plus Shoal's); `/metrics` is in ../metrics/. */
import { splitHostPort } from "@shoal/memberlist";
import type { Backplane, BackplaneStatus } from "../backplane/backplane.ts";
import type { Hub } from "../core/hub.ts";
import type { Membership } from "../membership/membership.ts";
import type { InboundLinks } from "../replication/inbound.ts";
import type { Replication } from "../replication/replication.ts";
import type { LinkStatus, Replicator } from "../replication/replicator.ts";
import type { ClusterSecurity } from "../security.ts";
import type { LimitCounters } from "./limits.ts";

/** The `/status` body: sse-cluster's fields plus ours. */
export interface BrokerStatus {
  node: string;
  origin: string;
  gossip: {
    member_count: number;
    members: Record<string, number>;
    health_score: number;
    nodes: { name: string; gossip_addr: string; http_addr: string | null; state: string }[];
  };
  channels: Record<string, string[]>;
  connections: number;
  replication: LinkStatus[];
  /** The event backplane, or null when events travel the mesh. */
  backplane: BackplaneStatus | null;
  /** What protects this cluster; `open_cluster` is true when nothing does. */
  security: ClusterSecurity;
}

/** What status and metrics are read from. */
export interface StatusSources {
  hub: Hub;
  replication: Replication;
  membership: Membership;
  replicator: Replicator;
  inbound: InboundLinks;
  /** Refusals per limit. */
  limits: LimitCounters;
  backplane: Backplane | null;
  security: ClusterSecurity;
  /** Requests answered with an error so far. */
  rejected(): number;
  /** Connections open on the HTTP port (idle ones and streams included). */
  httpConnections(): number;
}

/**
 * `gossip.members` keeps sse-cluster's shape (a map to the gossip port) but is keyed by
 * `host:port`, since several nodes may share a host; `gossip.nodes` has the details.
 */
export function buildStatus(s: StatusSources): BrokerStatus {
  const { hub, membership, replicator } = s;
  const m = membership.status();
  const members: Record<string, number> = {};
  for (const node of m.members) {
    members[node.gossipAddr] = splitHostPort(node.gossipAddr)?.port ?? 0;
  }
  return {
    node: membership.localName,
    origin: hub.origin,
    gossip: {
      member_count: m.memberCount,
      members,
      health_score: m.healthScore,
      nodes: m.members.map((n) => ({
        name: n.name,
        gossip_addr: n.gossipAddr,
        http_addr: n.httpAddr,
        state: n.state,
      })),
    },
    channels: hub.clientsByChannel(),
    connections: hub.connectionCount,
    replication: replicator.linkStatus(),
    backplane: s.backplane?.status() ?? null,
    security: s.security,
  };
}

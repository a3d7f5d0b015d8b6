/** The `/status` body (sse-cluster's fields plus Shoal's) and the `/metrics` text. */
import { splitHostPort } from "@shoal/memberlist";
import type { Backplane, BackplaneStatus } from "../backplane/backplane.ts";
import type { Hub } from "../core/hub.ts";
import type { Membership } from "../membership/membership.ts";
import type { InboundLinks } from "../replication/inbound.ts";
import type { LinkStatus, Replicator } from "../replication/replicator.ts";
import type { LimitCounters } from "./limits.ts";
import { renderMetrics } from "./metrics.ts";

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
}

/** What status and metrics are read from. */
export interface StatusSources {
  hub: Hub;
  membership: Membership;
  replicator: Replicator;
  inbound: InboundLinks;
  /** Refusals per limit. */
  limits: LimitCounters;
  backplane: Backplane | null;
  /** Requests answered with an error so far. */
  rejected(): number;
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
  };
}

/** Prometheus text: connections, subscriptions, events published/delivered/dropped, evictions, replication lag, members, health. */
export function buildMetrics(s: StatusSources): string {
  const { hub, membership, replicator, inbound } = s;
  const c = hub.counters;
  const bp = s.backplane?.status() ?? null;
  const links = replicator.linkStatus();
  const m = membership.status();
  const rejected = s.rejected();
  return renderMetrics([
    { name: "shoal_connections", help: "Open event streams.", type: "gauge", value: hub.connectionCount },
    {
      name: "shoal_subscriptions",
      help: "Channel subscriptions of open streams.",
      type: "gauge",
      value: hub.subscriptionCount,
    },
    {
      name: "shoal_channels",
      help: "Channels with subscribers or history.",
      type: "gauge",
      value: hub.channelCount,
    },
    {
      name: "shoal_history_bytes",
      help: "Estimated bytes held by every channel's history (bounded by --history.totalBytes).",
      type: "gauge",
      value: hub.historyBudget.bytes,
    },
    {
      name: "shoal_history_events",
      help: "Events held by every channel's history.",
      type: "gauge",
      value: hub.historyBudget.events,
    },
    {
      name: "shoal_history_evicted_total",
      help: "History events evicted because the node's total was over --history.totalBytes.",
      type: "counter",
      value: hub.historyBudget.evictedEvents,
    },
    {
      name: "shoal_channels_evicted_total",
      help: "Channels forgotten to stay under --channels.max.",
      type: "counter",
      value: hub.channels.evictedChannels,
    },
    {
      name: "shoal_connections_total",
      help: "Streams opened.",
      type: "counter",
      value: c.connectionsTotal,
    },
    {
      name: "shoal_events_published_total",
      help: "Events accepted on this node.",
      type: "counter",
      value: c.published,
    },
    {
      name: "shoal_events_replicated_in_total",
      help: "Events applied from peers.",
      type: "counter",
      value: c.received,
    },
    {
      name: "shoal_events_delivered_total",
      help: "Event deliveries to subscribers.",
      type: "counter",
      value: c.delivered,
    },
    {
      name: "shoal_events_dropped_total",
      help: "Events not delivered: duplicates suppressed.",
      type: "counter",
      value: [{ labels: { reason: "duplicate" }, value: c.duplicates }],
    },
    {
      name: "shoal_evictions_total",
      help: "Subscribers disconnected for overflowing their buffer.",
      type: "counter",
      value: c.evictions,
    },
    {
      name: "shoal_evicted_bytes_total",
      help: "Bytes pending at eviction.",
      type: "counter",
      value: c.evictedBytes,
    },
    {
      name: "shoal_resumes_total",
      help: "Streams opened with a cursor.",
      type: "counter",
      value: c.replays,
    },
    {
      name: "shoal_resets_total",
      help: "Resumes whose cursor was older than the history.",
      type: "counter",
      value: c.resets,
    },
    {
      name: "shoal_requests_rejected_total",
      help: "Requests answered with an error.",
      type: "counter",
      value: rejected,
    },
    {
      name: "shoal_limit_rejections_total",
      help: "Requests refused by a limit (body_size, json_depth, channels, connections_total, connections_per_address).",
      type: "counter",
      value: s.limits.entries().map(({ limit, count }) => ({ labels: { limit }, value: count })),
    },
    {
      name: "shoal_replication_lag_events",
      help: "Events accepted here not yet acknowledged by the peer.",
      type: "gauge",
      value: links.map((l) => ({ labels: { peer: l.peer }, value: l.lagEvents })),
    },
    {
      name: "shoal_replication_lag_seconds",
      help: "Age of the oldest event accepted here and not yet acknowledged by the peer.",
      type: "gauge",
      value: links.map((l) => ({ labels: { peer: l.peer }, value: l.lagMs / 1000 })),
    },
    {
      name: "shoal_replication_connected",
      help: "1 when the replication link to the peer is up.",
      type: "gauge",
      value: links.map((l) => ({ labels: { peer: l.peer }, value: l.connected ? 1 : 0 })),
    },
    {
      name: "shoal_replication_delay_ms",
      help: "Origin-to-here delay of the last replicated event.",
      type: "gauge",
      value: inbound.lastDelayMs,
    },
    {
      name: "shoal_replication_inbound_links",
      help: "Open inbound replication links.",
      type: "gauge",
      value: inbound.count,
    },
    ...(bp === null ? [] : backplaneMetrics(bp)),
    {
      name: "shoal_gossip_members",
      help: "Cluster members, this node included.",
      type: "gauge",
      value: m.memberCount,
    },
    {
      name: "shoal_gossip_health_score",
      help: "Lifeguard health score (0 = healthy).",
      type: "gauge",
      value: m.healthScore,
    },
  ]);
}

/** The backplane's samples (only when one is configured). */
function backplaneMetrics(bp: BackplaneStatus): Parameters<typeof renderMetrics>[0] {
  return [
    {
      name: "shoal_backplane_up",
      help: "1 when the backplane (Redis) is connected.",
      type: "gauge",
      value: bp.state === "up" ? 1 : 0,
    },
    {
      name: "shoal_backplane_reconnects_total",
      help: "Reconnection attempts to the backplane.",
      type: "counter",
      value: bp.reconnects,
    },
    {
      name: "shoal_backplane_appends_total",
      help: "Events appended to the backplane from this node.",
      type: "counter",
      value: bp.appended,
    },
    {
      name: "shoal_backplane_append_failures_total",
      help: "Publishes refused (503) because the backplane did not take them.",
      type: "counter",
      value: bp.appendFailures,
    },
    {
      name: "shoal_backplane_streams_read",
      help: "Channel streams this node reads (channels with local subscribers).",
      type: "gauge",
      value: bp.streamsRead,
    },
    {
      name: "shoal_backplane_events_read_total",
      help: "Events read from the backplane.",
      type: "counter",
      value: bp.eventsRead,
    },
    {
      name: "shoal_backplane_bytes_read_total",
      help: "Payload bytes read from the backplane.",
      type: "counter",
      value: bp.bytesRead,
    },
  ];
}

/**
 * The broker's `/metrics`, on prom-client: counters and gauges read from the broker's state at
 * scrape time, histograms observed as things happen (publish latency, publish-to-deliver latency,
 * replication delay, all in seconds), Node's process and event-loop metrics, and whatever the
 * memberlist reports through {@link PrometheusMetricsSink} into the same registry.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StatusSources } from "../http/status.ts";
import { SECONDS_BUCKETS } from "./memberlist-sink.ts";

/** Options of the broker's metrics (see `BrokerOptions.metrics`). */
export interface BrokerMetricsOptions {
  /**
   * Registry to register into: an application's own, so the broker's metrics come out of its
   * `/metrics` too. Default: a registry of the broker's own (never prom-client's global one).
   */
  registry?: Registry;
  /**
   * Also collect Node's process and event-loop metrics (`process_*`, `nodejs_*`). Default false
   * for an embedded broker, whose application usually collects them itself; `shoal start` turns
   * them on.
   */
  processMetrics?: boolean;
}

type Sample = number | { labels: Record<string, string>; value: number }[];

/** A metric whose value is read at scrape time. */
interface ReadMetric {
  name: string;
  help: string;
  type: "counter" | "gauge";
  labelNames?: string[];
  read(s: StatusSources): Sample;
}

/** Every scrape-time metric. The names are the ones dashboards and tests already use. */
const READ_METRICS: ReadMetric[] = [
  {
    name: "shoal_connections",
    help: "Open event streams.",
    type: "gauge",
    read: (s) => s.hub.connectionCount,
  },
  {
    name: "shoal_http_connections",
    help: "Open connections to the HTTP port, idle ones and streams included (bounded by --http.maxConnections).",
    type: "gauge",
    read: (s) => s.httpConnections(),
  },
  {
    name: "shoal_subscriptions",
    help: "Channel subscriptions of open streams.",
    type: "gauge",
    read: (s) => s.hub.subscriptionCount,
  },
  {
    name: "shoal_channels",
    help: "Channels with subscribers or history.",
    type: "gauge",
    read: (s) => s.hub.channelCount,
  },
  {
    name: "shoal_history_bytes",
    help: "Estimated bytes of every channel's history together.",
    type: "gauge",
    read: (s) => s.hub.historyBudget.bytes,
  },
  {
    name: "shoal_history_max_bytes",
    help: "The cap on shoal_history_bytes (--history.totalBytes).",
    type: "gauge",
    read: (s) => s.hub.historyBudget.maxBytes,
  },
  {
    name: "shoal_history_events",
    help: "Events kept in history, all channels.",
    type: "gauge",
    read: (s) => s.hub.historyBudget.events,
  },
  {
    name: "shoal_history_evicted_total",
    help: "Events dropped from history early to stay under --history.totalBytes.",
    type: "counter",
    read: (s) => s.hub.historyBudget.evictedEvents,
  },
  {
    name: "shoal_channels_evicted_total",
    help: "Idle channels forgotten to stay under --channels.max.",
    type: "counter",
    read: (s) => s.hub.channels.evictedChannels,
  },
  {
    name: "shoal_replication_origins",
    help: "Origins (broker runs) in the per-origin seq map used to de-duplicate replicated events.",
    type: "gauge",
    read: (s) => s.hub.applied.size,
  },
  {
    name: "shoal_replication_origins_pruned_total",
    help: "Departed origins dropped from that map once over its cap and expired from every history.",
    type: "counter",
    read: (s) => s.hub.counters.originsPruned,
  },
  {
    name: "shoal_connections_total",
    help: "Streams opened.",
    type: "counter",
    read: (s) => s.hub.counters.connectionsTotal,
  },
  {
    name: "shoal_events_published_total",
    help: "Events accepted on this node.",
    type: "counter",
    read: (s) => s.hub.counters.published,
  },
  {
    name: "shoal_events_replicated_in_total",
    help: "Events applied from peers.",
    type: "counter",
    read: (s) => s.hub.counters.received,
  },
  {
    name: "shoal_events_delivered_total",
    help: "Event deliveries to subscribers.",
    type: "counter",
    read: (s) => s.hub.counters.delivered,
  },
  {
    name: "shoal_events_dropped_total",
    help: "Events not delivered: duplicates suppressed.",
    type: "counter",
    labelNames: ["reason"],
    read: (s) => [{ labels: { reason: "duplicate" }, value: s.hub.counters.duplicates }],
  },
  {
    name: "shoal_evictions_total",
    help: "Subscribers disconnected for overflowing their buffer.",
    type: "counter",
    read: (s) => s.hub.counters.evictions,
  },
  {
    name: "shoal_evicted_bytes_total",
    help: "Bytes pending at eviction.",
    type: "counter",
    read: (s) => s.hub.counters.evictedBytes,
  },
  {
    name: "shoal_resumes_total",
    help: "Streams opened with a cursor.",
    type: "counter",
    read: (s) => s.hub.counters.replays,
  },
  {
    name: "shoal_resets_total",
    help: "Resumes whose cursor was older than the history.",
    type: "counter",
    read: (s) => s.hub.counters.resets,
  },
  {
    name: "shoal_requests_rejected_total",
    help: "Requests answered with an error.",
    type: "counter",
    read: (s) => s.rejected(),
  },
  {
    name: "shoal_limit_rejections_total",
    help: "Requests refused by a limit, per limit.",
    type: "counter",
    labelNames: ["limit"],
    read: (s) => s.limits.entries().map(({ limit, count }) => ({ labels: { limit }, value: count })),
  },
  {
    name: "shoal_replication_lag_events",
    help: "Events accepted here not yet acknowledged by the peer.",
    type: "gauge",
    labelNames: ["peer"],
    read: (s) => s.replicator.linkStatus().map((l) => ({ labels: { peer: l.peer }, value: l.lagEvents })),
  },
  {
    name: "shoal_replication_lag_seconds",
    help: "Age of the oldest event accepted here and not yet acknowledged by the peer.",
    type: "gauge",
    labelNames: ["peer"],
    read: (s) => s.replicator.linkStatus().map((l) => ({ labels: { peer: l.peer }, value: l.lagMs / 1000 })),
  },
  {
    name: "shoal_replication_connected",
    help: "1 when the replication link to the peer is up.",
    type: "gauge",
    labelNames: ["peer"],
    read: (s) =>
      s.replicator.linkStatus().map((l) => ({ labels: { peer: l.peer }, value: l.connected ? 1 : 0 })),
  },
  {
    name: "shoal_replication_inbound_links",
    help: "Open inbound replication links.",
    type: "gauge",
    read: (s) => s.inbound.count,
  },
  {
    name: "shoal_publish_ack_timeouts_total",
    help: "Publishes answered 503 because their ack mode did not hold in time.",
    type: "counter",
    read: (s) => s.replication.counters.ackTimeouts,
  },
  {
    name: "shoal_publish_ack_pending",
    help: "Publishes waiting for their ack mode.",
    type: "gauge",
    read: (s) => s.replication.counters.ackPending,
  },
  {
    name: "shoal_replication_refused_total",
    help: "Inbound links closed or frames refused, by reason.",
    type: "counter",
    labelNames: ["reason"],
    read: (s) => {
      const c = s.replication.counters;
      return [
        { labels: { reason: "handshake_evicted" }, value: c.handshakesEvicted },
        { labels: { reason: "identity" }, value: c.identityRefused },
        { labels: { reason: "sequence" }, value: c.seqRefused },
        { labels: { reason: "repair_ignored" }, value: c.repairsIgnored },
      ];
    },
  },
  {
    name: "shoal_replication_repaired_total",
    help: "Events of departed origins received from surviving peers.",
    type: "counter",
    read: (s) => s.replication.counters.repaired,
  },
  {
    name: "shoal_gossip_members",
    help: "Cluster members, this node included.",
    type: "gauge",
    read: (s) => s.membership.status().memberCount,
  },
  {
    name: "shoal_gossip_health_score",
    help: "Lifeguard health score (0 = healthy).",
    type: "gauge",
    read: (s) => s.membership.status().healthScore,
  },
];

/** The backplane's metrics, registered only when one is configured. */
const BACKPLANE_METRICS: ReadMetric[] = [
  {
    name: "shoal_backplane_up",
    help: "1 when the backplane (Redis) is connected.",
    type: "gauge",
    read: (s) => (s.backplane?.status().state === "up" ? 1 : 0),
  },
  {
    name: "shoal_backplane_reconnects_total",
    help: "Reconnection attempts to the backplane.",
    type: "counter",
    read: (s) => s.backplane?.status().reconnects ?? 0,
  },
  {
    name: "shoal_backplane_appends_total",
    help: "Events appended to the backplane from this node.",
    type: "counter",
    read: (s) => s.backplane?.status().appended ?? 0,
  },
  {
    name: "shoal_backplane_append_failures_total",
    help: "Publishes refused (503) because the backplane did not take them.",
    type: "counter",
    read: (s) => s.backplane?.status().appendFailures ?? 0,
  },
  {
    name: "shoal_backplane_streams_read",
    help: "Channel streams this node reads (channels with local subscribers).",
    type: "gauge",
    read: (s) => s.backplane?.status().streamsRead ?? 0,
  },
  {
    name: "shoal_backplane_events_read_total",
    help: "Events read from the backplane.",
    type: "counter",
    read: (s) => s.backplane?.status().eventsRead ?? 0,
  },
  {
    name: "shoal_backplane_bytes_read_total",
    help: "Payload bytes read from the backplane.",
    type: "counter",
    read: (s) => s.backplane?.status().bytesRead ?? 0,
  },
];

/** The broker's metrics: a registry, the histograms the broker observes into, and the scrape-time readers. */
export class BrokerMetrics {
  readonly registry: Registry;
  /** Seconds from a publish request's arrival to its response (body read, checks, acceptance). */
  readonly publishDuration: Histogram;
  /** Seconds from an event's acceptance at its origin to its write to this node's subscribers. */
  readonly deliveryLatency: Histogram;
  /** Seconds from an event's acceptance at its origin to its arrival here from a peer. */
  readonly replicationDelay: Histogram;

  constructor(options: BrokerMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.publishDuration = new Histogram({
      name: "shoal_publish_duration_seconds",
      help: "Publish requests, arrival to response.",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: "shoal_delivery_latency_seconds",
      help: "Events, acceptance at the origin to the write to this node's subscribers (clocks of two nodes for replicated events).",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.replicationDelay = new Histogram({
      name: "shoal_replication_delay_seconds",
      help: "Replicated events, acceptance at the origin to arrival here (clocks of two nodes).",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  /** Registers the scrape-time metrics, read from `sources`. */
  track(sources: StatusSources): void {
    for (const m of sources.backplane === null ? READ_METRICS : [...READ_METRICS, ...BACKPLANE_METRICS]) {
      const labelNames = m.labelNames ?? [];
      const collect = function (this: Counter | Gauge): void {
        const sample = m.read(sources);
        this.reset();
        if (typeof sample === "number") set(this, {}, sample);
        else for (const { labels, value } of sample) set(this, labels, value);
      };
      const config = { name: m.name, help: m.help, labelNames, registers: [this.registry], collect };
      if (m.type === "counter") new Counter(config);
      else new Gauge(config);
    }
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function set(metric: Counter | Gauge, labels: Record<string, string>, value: number): void {
  if (metric instanceof Gauge) metric.set(labels, value);
  else metric.inc(labels, Math.max(0, value));
}

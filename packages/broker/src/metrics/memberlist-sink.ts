/**
 * `@shoal/memberlist`'s {@link MetricsSink} onto prom-client. Go's keys become Prometheus names
 * with base units: `memberlist.msg.alive` → `memberlist_msg_alive_total`, `memberlist.udp.sent`
 * (bytes) → `memberlist_udp_sent_bytes_total`, `memberlist.probeNode` (a duration in ms) →
 * the histogram `memberlist_probe_node_seconds`, `memberlist.health.score` → the gauge
 * `memberlist_health_score`. Metrics are created on first use, so whatever the memberlist
 * reports shows up without a list kept here, apart from the units of the keys that have one.
 */
import type { MetricLabel, MetricsSink } from "@shoal/memberlist";
import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from "prom-client";

/** Samples that are durations in ms (Go's MeasureSince): exported in seconds. */
const DURATION_SAMPLES = new Set(["memberlist.probeNode", "memberlist.pushPullNode", "memberlist.gossip"]);

/** Counters and samples whose values are bytes. */
const BYTE_KEYS = new Set([
  "memberlist.udp.sent",
  "memberlist.udp.received",
  "memberlist.tcp.sent",
  "memberlist.size.local",
  "memberlist.size.remote",
]);

/** Probe round trips on a LAN are sub-millisecond to a few ms; push/pull of a large cluster seconds. */
export const SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** 64 B (one small UDP message) to 16 MiB (the push/pull of tens of thousands of members). */
const BYTES_BUCKETS = exponentialBuckets(64, 4, 10);
/** Counts such as queue depths: 1 to 65536. */
const COUNT_BUCKETS = exponentialBuckets(1, 4, 9);

type Kind = "counter" | "gauge" | "sample";

interface Entry {
  /** null when the name could not be registered (taken by another kind): calls are dropped. */
  metric: Counter | Gauge | Histogram | null;
  labelNames: string[];
  scale: number;
}

/** `probeNode` → `probe_node`; anything outside `[a-zA-Z0-9_]` → `_`. */
export function snakeCase(part: string): string {
  return part
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
}

/** The Prometheus name and value scale of a memberlist key. */
export function promMetricName(key: readonly string[], kind: Kind): { name: string; scale: number } {
  const dotted = key.join(".");
  let name = key.map(snakeCase).join("_");
  if (/^[0-9]/.test(name)) name = `_${name}`;
  const bytes = BYTE_KEYS.has(dotted);
  if (kind === "counter") return { name: `${name}${bytes ? "_bytes" : ""}_total`, scale: 1 };
  if (kind === "sample" && DURATION_SAMPLES.has(dotted)) return { name: `${name}_seconds`, scale: 1 / 1000 };
  return { name: bytes ? `${name}_bytes` : name, scale: 1 };
}

function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/** A {@link MetricsSink} that registers what it is told into `registry`. */
export class PrometheusMetricsSink implements MetricsSink {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly registry: Registry) {}

  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    const e = this.entry("counter", key, labels);
    if (e.metric === null || !(value >= 0)) return; // counters only go up; NaN dropped
    (e.metric as Counter).inc(this.labels(e, labels), value * e.scale);
  }

  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    const e = this.entry("gauge", key, labels);
    if (e.metric === null) return;
    (e.metric as Gauge).set(this.labels(e, labels), value * e.scale);
  }

  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    const e = this.entry("sample", key, labels);
    if (e.metric === null || Number.isNaN(value)) return;
    (e.metric as Histogram).observe(this.labels(e, labels), value * e.scale);
  }

  private entry(kind: Kind, key: readonly string[], labels: readonly MetricLabel[] | undefined): Entry {
    const id = `${kind}:${key.join(".")}`;
    const found = this.entries.get(id);
    if (found !== undefined) return found;
    const { name, scale } = promMetricName(key, kind);
    // The label names of the first call; later calls fill missing ones with "" and drop others,
    // since prom-client fixes a metric's label names when it is created.
    const labelNames = [...new Set((labels ?? []).map((l) => labelName(l.name)))];
    const help = `Go memberlist's ${key.join(".")}${scale !== 1 ? " (seconds)" : ""}.`;
    const config = { name, help, labelNames, registers: [this.registry] };
    let metric: Entry["metric"];
    try {
      metric =
        kind === "counter"
          ? new Counter(config)
          : kind === "gauge"
            ? new Gauge(config)
            : new Histogram({
                ...config,
                buckets:
                  scale !== 1 ? SECONDS_BUCKETS : name.endsWith("_bytes") ? BYTES_BUCKETS : COUNT_BUCKETS,
              });
    } catch {
      // The name is registered already by a metric of another kind: this key cannot be exported.
      metric = null;
    }
    const entry: Entry = { metric, labelNames, scale };
    this.entries.set(id, entry);
    return entry;
  }

  private labels(e: Entry, labels: readonly MetricLabel[] | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (e.labelNames.length === 0) return out;
    for (const n of e.labelNames) out[n] = "";
    for (const l of labels ?? []) {
      const n = labelName(l.name);
      if (n in out) out[n] = l.value;
    }
    return out;
  }
}

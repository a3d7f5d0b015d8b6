/**
 * Where `@shoal/memberlist` reports what it does, under Go memberlist's metric names, so dashboards
 * built for Go (armon/go-metrics keys such as `memberlist.msg.alive` or `memberlist.probeNode`) read
 * the same here. The core depends on nothing: an application adapts the sink to its own metrics
 * library (the broker maps it onto prom-client).
 */

/** One label of a metric, as go-metrics' `Label`. */
export interface MetricLabel {
  readonly name: string;
  readonly value: string;
}

/**
 * A metrics sink. A key is the metric name split into parts (`["memberlist", "msg", "alive"]`).
 * Calls are synchronous and must be cheap: they run on the protocol's hot paths.
 */
export interface MetricsSink {
  /** A counter rose by `value` (go-metrics `IncrCounter`). */
  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
  /** A gauge's current value (go-metrics `SetGauge`). */
  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
  /** One observation; durations are in milliseconds, as Go's `MeasureSince` (go-metrics `AddSample`). */
  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
}

/** A sink that drops everything: the default. */
export const discardMetrics: MetricsSink = {
  incrCounter() {},
  setGauge() {},
  addSample() {},
};

/** `sink` with `labels` added to every call (Go's MetricLabels); `sink` itself when there are none. */
export function withLabels(sink: MetricsSink, labels: readonly MetricLabel[] | undefined): MetricsSink {
  if (labels === undefined || labels.length === 0) return sink;
  const all = (extra: readonly MetricLabel[] | undefined) =>
    extra === undefined || extra.length === 0 ? labels : [...labels, ...extra];
  return {
    incrCounter: (key, value, extra) => sink.incrCounter(key, value, all(extra)),
    setGauge: (key, value, extra) => sink.setGauge(key, value, all(extra)),
    addSample: (key, value, extra) => sink.addSample(key, value, all(extra)),
  };
}

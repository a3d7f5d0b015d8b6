/** A MetricsSink that keeps every call, for tests. */
import type { MetricLabel, MetricsSink } from "../../src/index.ts";

export interface MetricCall {
  kind: "counter" | "gauge" | "sample";
  name: string;
  value: number;
  labels: Record<string, string>;
}

export class RecordingSink implements MetricsSink {
  readonly calls: MetricCall[] = [];

  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.record("counter", key, value, labels);
  }
  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.record("gauge", key, value, labels);
  }
  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.record("sample", key, value, labels);
  }

  /** Sum of a counter's increments, optionally only those with every label in `where`. */
  counter(name: string, where: Record<string, string> = {}): number {
    let sum = 0;
    for (const c of this.matching("counter", name, where)) sum += c.value;
    return sum;
  }

  /** Calls of one kind and name whose labels include `where`. */
  matching(kind: MetricCall["kind"], name: string, where: Record<string, string> = {}): MetricCall[] {
    return this.calls.filter(
      (c) => c.kind === kind && c.name === name && Object.entries(where).every(([k, v]) => c.labels[k] === v),
    );
  }

  private record(
    kind: MetricCall["kind"],
    key: readonly string[],
    value: number,
    labels?: readonly MetricLabel[],
  ): void {
    const l: Record<string, string> = {};
    for (const { name, value: v } of labels ?? []) l[name] = v;
    this.calls.push({ kind, name: key.join("."), value, labels: l });
  }
}

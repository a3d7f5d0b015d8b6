/**
 * Records, for every node, when it first heard each kind of news about one watched member: the
 * raw material of dissemination and detection figures. Times are virtual ms; NaN means never.
 */
import type { Memberlist } from "@shoal/memberlist";
import type { SimNode } from "./node.ts";

export type NewsKind = "join" | "update" | "suspect" | "dead" | "left";

export class NewsObserver {
  /** The watched member's name; news about other members is ignored. */
  subject = "";
  /** Only news after this virtual time counts. */
  since = 0;
  private readonly times = new Map<NewsKind, Float64Array>();
  private readonly capacity: number;
  /** Every suspect event about any member (for false-positive checks). */
  suspicions = 0;
  /** Every "dead" event (not "left") about any member. */
  deaths = 0;
  /** When set, every suspect and dead event about anyone is appended here. */
  log:
    | {
        at: number;
        by: number;
        kind: "suspect" | "dead";
        subject: string;
        from: string;
        incarnation: number;
      }[]
    | null = null;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Starts watching `subject` from `since`, forgetting earlier records (arrays from timesOf are reset in place). */
  watch(subject: string, since: number): void {
    this.subject = subject;
    this.since = since;
    for (const arr of this.times.values()) arr.fill(Number.NaN);
  }

  /** First time each node heard `kind` about the subject (NaN: never). */
  timesOf(kind: NewsKind): Float64Array {
    let t = this.times.get(kind);
    if (t === undefined) {
      t = new Float64Array(this.capacity).fill(Number.NaN);
      this.times.set(kind, t);
    }
    return t;
  }

  /** Listens to `ml` on behalf of `node`. */
  attach(node: SimNode<Memberlist>, ml: Memberlist, now: () => number): void {
    const id = node.id;
    const record = (kind: NewsKind, name: string) => {
      if (name !== this.subject) return;
      const t = now();
      if (t < this.since) return;
      const arr = this.timesOf(kind);
      if (Number.isNaN(arr[id]!)) arr[id] = t;
    };
    ml.on("join", (n) => record("join", n.name));
    ml.on("update", (n) => record("update", n.name));
    ml.on("suspect", (e) => {
      this.suspicions++;
      this.log?.push({
        at: now(),
        by: id,
        kind: "suspect",
        subject: e.node,
        from: e.from,
        incarnation: e.incarnation,
      });
      record("suspect", e.node);
    });
    ml.on("leave", (n) => {
      if (n.state === "dead") {
        this.deaths++;
        this.log?.push({
          at: now(),
          by: id,
          kind: "dead",
          subject: n.name,
          from: "",
          incarnation: n.incarnation,
        });
      }
      record(n.state === "left" ? "left" : "dead", n.name);
    });
  }
}

/** Times (relative to `t0`) at which the given fractions of `ids` had heard; Infinity if never. */
export function reachTimes(
  times: Float64Array,
  ids: readonly number[],
  t0: number,
  fractions: readonly number[],
): number[] {
  const heard: number[] = [];
  for (const id of ids) {
    const t = times[id]!;
    if (!Number.isNaN(t)) heard.push(t - t0);
  }
  heard.sort((a, b) => a - b);
  return fractions.map((f) => {
    const need = Math.max(1, Math.ceil(f * ids.length - 1e-9));
    return need <= heard.length ? heard[need - 1]! : Number.POSITIVE_INFINITY;
  });
}

/** Summary statistics of finite values. */
export function summary(values: readonly number[]): {
  n: number;
  min: number;
  median: number;
  mean: number;
  p99: number;
  max: number;
} {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0)
    return { n: 0, min: Number.NaN, median: Number.NaN, mean: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))]!;
  return {
    n: v.length,
    min: v[0]!,
    median: q(0.5),
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    p99: q(0.99),
    max: v[v.length - 1]!,
  };
}

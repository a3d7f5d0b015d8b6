/**
 * Scenario 4, partitions: the cluster splits in two halves for a while, then the network heals.
 * How long until every member sees every other again, with and without the engine's periodic
 * re-join (`rejoinInterval`)? A split longer than the suspicion timeout plus gossipToTheDeadTime
 * is known to stay split in plain memberlist.
 */
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";

export interface PartitionResult {
  nodes: number;
  loss: number;
  seed: number;
  splitSeconds: number;
  rejoinIntervalMs: number;
  /** Members of one side that the other side declared dead (max over members) during the split. */
  declaredDeadDuringSplit: number;
  /** ms from the heal until every member sees every other; Infinity if not within the deadline. */
  healMs: number;
  wallSeconds: number;
}

export async function runPartition(
  o: ScenarioOptions,
  splitMs: number,
  rejoinIntervalMs: number,
  deadlineMs = 180_000,
): Promise<PartitionResult> {
  const wall0 = performance.now();
  const { cluster, observer } = await formCluster({
    ...o,
    config: { ...o.config, rejoinInterval: rejoinIntervalMs },
  });
  const sim = cluster.sim;
  const ids = runningIds(cluster);
  const half = ids.slice(0, Math.floor(ids.length / 2));
  const rest = ids.slice(half.length);
  observer.log = [];
  const t0 = sim.now;
  const split = sim.partition(half, rest, { atMs: t0 });
  split.heal(t0 + splitMs);
  await sim.run(t0 + splitMs);
  const deadBy = new Map<number, Set<string>>();
  for (const e of observer.log) {
    if (e.kind !== "dead") continue;
    let s = deadBy.get(e.by);
    if (s === undefined) {
      s = new Set();
      deadBy.set(e.by, s);
    }
    s.add(e.subject);
  }
  const declared = Math.max(0, ...[...deadBy.values()].map((s) => s.size));
  const healedAt = await cluster.runUntilConverged(t0 + splitMs + deadlineMs, 500);
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    splitSeconds: splitMs / 1000,
    rejoinIntervalMs,
    declaredDeadDuringSplit: declared,
    healMs: healedAt === null ? Number.POSITIVE_INFINITY : healedAt - (t0 + splitMs),
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

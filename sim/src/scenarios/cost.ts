/**
 * Scenario 5, cost: datagrams and bytes each member sends per second in a quiet, converged
 * cluster (probes, acks, gossip and push/pull streams), against cluster size.
 */
import { formCluster, type ScenarioOptions } from "./common.ts";

export interface CostResult {
  nodes: number;
  loss: number;
  seed: number;
  /** Per member per second, averaged over the measurement window. */
  packetsPerSec: number;
  bytesPerSec: number;
  streamsPerSec: number;
  windowSeconds: number;
  wallSeconds: number;
}

export async function runCost(o: ScenarioOptions, windowMs = 30_000): Promise<CostResult> {
  const wall0 = performance.now();
  const { cluster } = await formCluster(o);
  const nodes = cluster.sim.nodes;
  const before = nodes.map((n) => ({ ...n.counters }));
  await cluster.sim.runFor(windowMs);
  let packets = 0;
  let bytes = 0;
  let streams = 0;
  nodes.forEach((n, i) => {
    const b = before[i]!;
    packets += n.counters.packetsSent - b.packetsSent;
    bytes += n.counters.bytesSent - b.bytesSent;
    streams += n.counters.streamsOpened - b.streamsOpened;
  });
  const perMemberSecond = nodes.length * (windowMs / 1000);
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    packetsPerSec: packets / perMemberSecond,
    bytesPerSec: bytes / perMemberSecond,
    streamsPerSec: streams / perMemberSecond,
    windowSeconds: windowMs / 1000,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

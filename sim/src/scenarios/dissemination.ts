/**
 * Scenario 1, dissemination: how long news (a join, or a metadata update) takes to reach 99%,
 * 99.99% and 100% of the members, beside the epidemic model of Serf's convergence simulator.
 */
import { epidemicTime } from "../models.ts";
import { reachTimes } from "../observer.ts";
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";

export type News = "join" | "update";

export interface DisseminationResult {
  nodes: number;
  loss: number;
  seed: number;
  news: News;
  /** ms after the news was made until 99%, 99.99% and 100% of the other members had it. */
  t99: number;
  t9999: number;
  t100: number;
  /** Members (besides the origin) that heard the news within the deadline, of `others`. */
  heard: number;
  others: number;
  /** The epidemic model's times for the same percentiles. */
  model99: number;
  model9999: number;
  model100: number;
  /** Wall seconds for the whole run (formation included). */
  wallSeconds: number;
  /** The informed fraction over time, sampled every 100 ms, for charts. */
  curve: number[];
}

const FRACTIONS = [0.99, 0.9999, 1];

/** Runs one dissemination measurement; news spreads for up to `deadlineMs`. */
export async function runDissemination(
  o: ScenarioOptions,
  news: News,
  deadlineMs = 30_000,
): Promise<DisseminationResult> {
  const wall0 = performance.now();
  const metas: Uint8Array[] = [];
  const { cluster, observer } = await formCluster(o, {
    configFor: (node) => ({ delegate: { nodeMeta: () => metas[node.id] ?? new Uint8Array(0) } }),
  });
  const sim = cluster.sim;
  let others: number[];
  let t0: number;
  if (news === "join") {
    others = runningIds(cluster);
    const contact = others[cluster.rng.int(others.length)]!;
    const newcomer = sim.addNode({ atMs: sim.now });
    t0 = sim.now + 1;
    observer.watch(newcomer.name, t0);
    const addr = cluster.addressOf(contact);
    // A failed join shows up as members that never hear the news, not as a crash of the run.
    sim.at(t0, () => newcomer.app?.join([addr]).catch(() => {}));
  } else {
    const all = runningIds(cluster);
    const origin = all[cluster.rng.int(all.length)]!;
    others = all.filter((id) => id !== origin);
    t0 = sim.now;
    const node = sim.node(origin);
    observer.watch(node.name, t0);
    metas[origin] = new TextEncoder().encode(`role=updated@${t0}`);
    sim.at(t0, () => node.app?.updateNode(deadlineMs).catch(() => {}));
  }
  const kind = news === "join" ? "join" : "update";
  const curve: number[] = [];
  const times = observer.timesOf(kind);
  sim.every(
    100,
    () => {
      let heard = 0;
      for (const id of others) if (!Number.isNaN(times[id]!)) heard++;
      curve.push(heard / others.length);
      // Everyone knows: nothing left to measure.
      if (heard === others.length) sim.scheduler.stop();
    },
    { startMs: t0, untilMs: t0 + deadlineMs },
  );
  await sim.run(t0 + deadlineMs);
  const [t99, t9999, t100] = reachTimes(times, others, t0, FRACTIONS) as [number, number, number];
  let heard = 0;
  for (const id of others) if (!Number.isNaN(times[id]!)) heard++;
  const c = cluster.config;
  const n = others.length + 1;
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    news,
    t99,
    t9999,
    t100,
    heard,
    others: others.length,
    model99: epidemicTime(n, c.gossipNodes, o.loss, c.gossipInterval, 0.99),
    model9999: epidemicTime(n, c.gossipNodes, o.loss, c.gossipInterval, 0.9999),
    model100: epidemicTime(n, c.gossipNodes, o.loss, c.gossipInterval, 1),
    wallSeconds: (performance.now() - wall0) / 1000,
    curve,
  };
}

/**
 * Scenario 3b, a slow member: one member handles everything that reaches it `delayMs` late while
 * its timers still fire on time (an event loop busy with a backlog of I/O). Its own probes then
 * time out although every peer answered: the case Lifeguard's local-health awareness is for.
 * Counts the suspicions it raises against healthy members, and the "dead" verdicts anybody
 * reaches (everyone is alive throughout), under the same variants as the stall scenario.
 */
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";
import { type StallVariant, stallVariantConfig } from "./stalls.ts";

export interface SlowNodeResult {
  nodes: number;
  loss: number;
  seed: number;
  variant: StallVariant;
  delayMs: number;
  slowSeconds: number;
  /** Distinct suspicions (originator, subject, incarnation) the slow member raised about others. */
  bySlow: number;
  /** Distinct suspicions others raised about the slow member. */
  ofSlow: number;
  /** Distinct suspicions between two other members. */
  other: number;
  /** "dead" events (all false: nobody crashes). */
  falseDeaths: number;
  /** The slow member's highest health score (Lifeguard awareness; 0 is healthy). */
  maxHealthScore: number;
  wallSeconds: number;
}

export async function runSlowNode(
  o: ScenarioOptions,
  variant: StallVariant,
  slow: { delayMs: number; durationMs: number } = { delayMs: 800, durationMs: 60_000 },
): Promise<SlowNodeResult> {
  const wall0 = performance.now();
  const { cluster, observer } = await formCluster({
    ...o,
    config: { ...o.config, ...stallVariantConfig(variant) },
  });
  const sim = cluster.sim;
  const ids = runningIds(cluster);
  const slowId = ids[cluster.rng.int(ids.length)]!;
  const slowName = sim.node(slowId).name;
  observer.log = [];
  const t0 = sim.now;
  sim.slow(slowId, { atMs: t0, durationMs: slow.durationMs, delayMs: slow.delayMs });
  let maxHealth = 0;
  sim.every(
    250,
    () => {
      const h = sim.node(slowId).app?.healthScore ?? 0;
      if (h > maxHealth) maxHealth = h;
    },
    { startMs: t0, untilMs: t0 + slow.durationMs },
  );
  await sim.run(t0 + slow.durationMs + 30_000);
  const distinct = new Set<string>();
  let bySlow = 0;
  let ofSlow = 0;
  let other = 0;
  let deaths = 0;
  for (const e of observer.log) {
    if (e.kind === "dead") {
      deaths++;
      continue;
    }
    const key = `${e.from}|${e.subject}|${e.incarnation}`;
    if (distinct.has(key)) continue;
    distinct.add(key);
    if (e.from === slowName) bySlow++;
    else if (e.subject === slowName) ofSlow++;
    else other++;
  }
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    variant,
    delayMs: slow.delayMs,
    slowSeconds: slow.durationMs / 1000,
    bySlow,
    ofSlow,
    other,
    falseDeaths: deaths,
    maxHealthScore: maxHealth,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

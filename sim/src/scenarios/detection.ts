/**
 * Scenario 2, detection: one member crashes (its host goes away); when does the first member
 * suspect it, and when has every survivor declared it dead? Shown beside SWIM's expected first
 * probe (~1.58 probe intervals) and memberlist's suspicion timeout bounds.
 */
import { suspicionBounds, swimFirstProbeIntervals } from "../models.ts";
import { summary } from "../observer.ts";
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";

export interface DetectionResult {
  nodes: number;
  loss: number;
  seed: number;
  probeIntervalMs: number;
  /** ms from the crash to the first suspicion anywhere. */
  firstSuspect: number;
  /** ms from the crash to the first "dead" anywhere, and to the last survivor's. */
  firstDead: number;
  allDead: number;
  /** Survivors that declared it dead within the deadline, of `survivors`. */
  deadHeard: number;
  survivors: number;
  /** Suspect events about members that did not crash (false positives). */
  falseSuspicions: number;
  swimFirstProbeMs: number;
  suspicionMinMs: number;
  suspicionMaxMs: number;
  wallSeconds: number;
}

/** Crashes one random member of a converged cluster and measures its detection. */
export async function runDetection(o: ScenarioOptions, deadlineMs?: number): Promise<DetectionResult> {
  const wall0 = performance.now();
  const { cluster, observer } = await formCluster(o);
  const sim = cluster.sim;
  const all = runningIds(cluster);
  const victim = all[cluster.rng.int(all.length)]!;
  const survivors = all.filter((id) => id !== victim);
  const c = cluster.config;
  const bounds = suspicionBounds(c, o.nodes);
  const deadline = deadlineMs ?? bounds.maxMs + 10 * c.probeInterval + 20_000;
  // Crash at a random phase of the probe cycle, not on a tick boundary.
  const t0 = sim.now + cluster.rng.float() * c.probeInterval;
  const victimName = sim.node(victim).name;
  observer.watch(victimName, t0);
  const suspicionsBefore = { n: 0 };
  sim.at(t0, () => {
    suspicionsBefore.n = observer.suspicions;
  });
  sim.crash(victim, { atMs: t0 });
  const suspect = observer.timesOf("suspect");
  const dead = observer.timesOf("dead");
  // Stop early once every survivor has declared the victim dead.
  sim.every(
    250,
    () => {
      if (survivors.every((id) => !Number.isNaN(dead[id]!))) sim.scheduler.stop();
    },
    { startMs: t0, untilMs: t0 + deadline },
  );
  await sim.run(t0 + deadline);
  const rel = (arr: Float64Array) => survivors.map((id) => arr[id]! - t0);
  const s = summary(rel(suspect));
  const d = summary(rel(dead));
  let victimSuspicions = 0;
  for (const id of survivors) if (!Number.isNaN(suspect[id]!)) victimSuspicions++;
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    probeIntervalMs: c.probeInterval,
    firstSuspect: s.n > 0 ? s.min : Number.POSITIVE_INFINITY,
    firstDead: d.n > 0 ? d.min : Number.POSITIVE_INFINITY,
    allDead: d.n === survivors.length ? d.max : Number.POSITIVE_INFINITY,
    deadHeard: d.n,
    survivors: survivors.length,
    // Each survivor reports the victim's suspicion at most once; everything else is a false positive.
    falseSuspicions: Math.max(0, observer.suspicions - suspicionsBefore.n - victimSuspicions),
    swimFirstProbeMs: swimFirstProbeIntervals(o.nodes) * c.probeInterval,
    suspicionMinMs: bounds.minMs,
    suspicionMaxMs: bounds.maxMs,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

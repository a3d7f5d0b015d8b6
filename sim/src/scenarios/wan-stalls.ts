/**
 * Scenario 3c, short stalls on a WAN: what `lagAwareness` removes beyond Lifeguard, and what it
 * costs. Round trips of tens of ms leave a real window between a ping and its ack; a member whose
 * event loop blocks inside that window (a GC pause, a CPU-bound request) wakes up, runs its expired
 * ack timer before the queued ack (libuv's order), and accuses a healthy peer. Meanwhile one member
 * really crashes, so the same run measures how much later it is detected.
 */
import { wanLink } from "../link-profile.ts";
import { summary } from "../observer.ts";
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";
import { type StallVariant, stallVariantConfig } from "./stalls.ts";

/** The stall load: every `everyMs` one random member (never the crash victim) blocks for a uniform [minMs, maxMs]. */
export interface StallLoad {
  minMs: number;
  maxMs: number;
  everyMs: number;
  windowMs: number;
  /** The victim crashes this long after the load starts, plus a random phase of one probe interval. */
  crashAfterMs: number;
}

/** GC-pause-like load: 0.3-2 s stalls, two a second across the cluster, for 60 s. */
export const DEFAULT_WAN_STALL_LOAD: StallLoad = {
  minMs: 300,
  maxMs: 2000,
  everyMs: 500,
  windowMs: 60_000,
  crashAfterMs: 20_000,
};

export interface WanStallResult {
  nodes: number;
  seed: number;
  variant: StallVariant;
  stalls: number;
  /** Distinct suspicions (originator, subject, incarnation) of members that did not crash. */
  suspicions: number;
  /** ... of which the subject was stalled within the last two probe intervals. */
  ofStalled: number;
  /** ... of `ofStalled`, those whose originator had stalled too. */
  ofStalledByStalled: number;
  /** ... of which the subject was healthy and the originator stalled within the last two probe intervals. */
  byStalled: number;
  /** ... of which neither was stalled. */
  other: number;
  /** "dead" events about members that did not crash (all false). */
  falseDeaths: number;
  /** ms from the crash to the first suspicion of the victim anywhere (Infinity: never). */
  crashFirstSuspect: number;
  /** ms from the crash until every survivor had declared the victim dead (Infinity: not all did). */
  crashAllDead: number;
  crashDeadHeard: number;
  survivors: number;
  wallSeconds: number;
}

/**
 * Runs the load on a converged cluster (WAN link unless `o.link` says otherwise, stalled members
 * working off expired timers first), crashes one member in the middle, and classifies every
 * suspicion by who was stalled around it.
 */
export async function runWanStalls(
  o: ScenarioOptions,
  variant: StallVariant,
  load: StallLoad = DEFAULT_WAN_STALL_LOAD,
): Promise<WanStallResult> {
  const wall0 = performance.now();
  const { cluster, observer } = await formCluster({
    ...o,
    link: o.link ?? wanLink(),
    stallBacklog: o.stallBacklog ?? "timers-first",
    config: { ...o.config, ...stallVariantConfig(variant) },
  });
  const sim = cluster.sim;
  const ids = runningIds(cluster);
  const victim = ids[cluster.rng.int(ids.length)]!;
  const victimName = sim.node(victim).name;
  const others = ids.filter((id) => id !== victim);
  observer.log = [];
  const t0 = sim.now;
  let stalls = 0;
  for (let t = t0 + load.everyMs; t < t0 + load.windowMs; t += load.everyMs) {
    const id = others[cluster.rng.int(others.length)]!;
    sim.stall(id, { atMs: t, durationMs: load.minMs + cluster.rng.float() * (load.maxMs - load.minMs) });
    stalls++;
  }
  const crashAt = t0 + load.crashAfterMs + cluster.rng.float() * cluster.config.probeInterval;
  observer.watch(victimName, crashAt);
  sim.crash(victim, { atMs: crashAt });
  await sim.run(t0 + load.windowMs + 30_000);

  const byName = new Map(sim.nodes.map((n) => [n.name, n]));
  // Two unscaled probe intervals: with stalls this frequent, a wider window would call almost
  // every member "recently stalled".
  const recent = 2 * cluster.config.probeInterval;
  const stalledNear = (name: string, at: number) =>
    (byName.get(name)?.stalls ?? []).some((s) => s.start <= at && at - recent <= s.end);
  const first = new Map<string, { at: number; subject: string; from: string }>();
  let deaths = 0;
  for (const e of observer.log) {
    if (e.subject === victimName) continue;
    if (e.kind === "dead") {
      deaths++;
      continue;
    }
    const key = `${e.from}|${e.subject}|${e.incarnation}`;
    const prev = first.get(key);
    if (prev === undefined || e.at < prev.at) first.set(key, { at: e.at, subject: e.subject, from: e.from });
  }
  let ofStalled = 0;
  let ofStalledByStalled = 0;
  let byStalled = 0;
  let other = 0;
  for (const s of first.values()) {
    if (stalledNear(s.subject, s.at)) {
      ofStalled++;
      if (stalledNear(s.from, s.at)) ofStalledByStalled++;
    } else if (stalledNear(s.from, s.at)) byStalled++;
    else other++;
  }
  const rel = (arr: Float64Array) => others.map((id) => arr[id]! - crashAt);
  const suspect = summary(rel(observer.timesOf("suspect")));
  const dead = summary(rel(observer.timesOf("dead")));
  return {
    nodes: o.nodes,
    seed: o.seed,
    variant,
    stalls,
    suspicions: first.size,
    ofStalled,
    ofStalledByStalled,
    byStalled,
    other,
    falseDeaths: deaths,
    crashFirstSuspect: suspect.n > 0 ? suspect.min : Number.POSITIVE_INFINITY,
    crashAllDead: dead.n === others.length ? dead.max : Number.POSITIVE_INFINITY,
    crashDeadHeard: dead.n,
    survivors: others.length,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

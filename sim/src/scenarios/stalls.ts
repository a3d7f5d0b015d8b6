/**
 * Scenario 3, false positives under stalls: members' event loops freeze now and then (as a
 * Node.js process does under a long synchronous task or a paused VM). A stalled member is alive:
 * declaring it dead is a false positive, and so is any suspicion it raises against healthy members
 * when it wakes up to a pile of expired probe timers. Compared with Lifeguard's mechanisms on
 * (Go defaults), off (awarenessMaxMultiplier 1, suspicionMaxTimeoutMult 1, as in the Lifeguard
 * paper's baseline), and on plus the engine's `lagAwareness` option.
 */
import type { MemberlistConfig } from "@shoal/memberlist";
import { formCluster, runningIds, type ScenarioOptions } from "./common.ts";

export type StallVariant = "lifeguard" | "no-lifeguard" | "lifeguard+lag";

export const STALL_VARIANTS: readonly StallVariant[] = ["no-lifeguard", "lifeguard", "lifeguard+lag"];

export function stallVariantConfig(v: StallVariant): Partial<MemberlistConfig> {
  if (v === "no-lifeguard") return { awarenessMaxMultiplier: 1, suspicionMaxTimeoutMult: 1 };
  if (v === "lifeguard+lag") return { lagAwareness: true };
  return {};
}

export interface StallResult {
  nodes: number;
  loss: number;
  seed: number;
  variant: StallVariant;
  stalls: number;
  stallMs: number;
  windowSeconds: number;
  /** Distinct suspicions (originator, subject, incarnation) raised during the run. */
  suspicions: number;
  /** ... of which the subject had been stalled within the last two probe intervals (observably silent). */
  ofStalled: number;
  /** ... of which the subject was healthy but the originator had just been stalled (lag-induced). */
  byStalled: number;
  /** ... of which neither was stalled (should be none on a loss-free network). */
  other: number;
  /** "dead" declarations (every member here is alive: all of them are false). */
  falseDeaths: number;
  /** Members that some member declared dead at least once. */
  membersDeclaredDead: number;
  wallSeconds: number;
}

/**
 * Every `everyMs`, one random member stalls for `stallMs` (jittered 0.5x-1.5x), for `windowMs`;
 * then everything runs quietly for 30 s more so late verdicts still count. Stalled nodes work off
 * their backlog the way libuv does (expired timers first), which is what makes a stalled prober
 * suspect healthy members.
 */
export async function runStalls(
  o: ScenarioOptions,
  variant: StallVariant,
  stall: { stallMs: number; everyMs: number; windowMs: number } = {
    stallMs: 3000,
    everyMs: 2000,
    windowMs: 60_000,
  },
): Promise<StallResult> {
  const wall0 = performance.now();
  const { cluster, observer } = await formCluster({
    ...o,
    stallBacklog: o.stallBacklog ?? "timers-first",
    config: { ...o.config, ...stallVariantConfig(variant) },
  });
  const sim = cluster.sim;
  const ids = runningIds(cluster);
  observer.log = [];
  const t0 = sim.now;
  let stalls = 0;
  for (let t = t0 + stall.everyMs; t < t0 + stall.windowMs; t += stall.everyMs) {
    const id = ids[cluster.rng.int(ids.length)]!;
    sim.stall(id, { atMs: t, durationMs: stall.stallMs * (0.5 + cluster.rng.float()) });
    stalls++;
  }
  await sim.run(t0 + stall.windowMs + 30_000);
  const byName = new Map(sim.nodes.map((n) => [n.name, n]));
  const recent = 2 * cluster.config.probeInterval * cluster.config.awarenessMaxMultiplier;
  const stalledNear = (name: string, at: number) =>
    (byName.get(name)?.stalls ?? []).some((s) => s.start <= at && at <= s.end + recent);
  const first = new Map<string, { at: number; subject: string; from: string }>();
  let deaths = 0;
  const dead = new Set<string>();
  for (const e of observer.log) {
    if (e.kind === "dead") {
      deaths++;
      dead.add(e.subject);
      continue;
    }
    const key = `${e.from}|${e.subject}|${e.incarnation}`;
    const prev = first.get(key);
    if (prev === undefined || e.at < prev.at) first.set(key, { at: e.at, subject: e.subject, from: e.from });
  }
  let ofStalled = 0;
  let byStalled = 0;
  let other = 0;
  for (const s of first.values()) {
    if (stalledNear(s.subject, s.at)) ofStalled++;
    else if (stalledNear(s.from, s.at)) byStalled++;
    else other++;
  }
  return {
    nodes: o.nodes,
    loss: o.loss,
    seed: o.seed,
    variant,
    stalls,
    stallMs: stall.stallMs,
    windowSeconds: stall.windowMs / 1000,
    suspicions: first.size,
    ofStalled,
    byStalled,
    other,
    falseDeaths: deaths,
    membersDeclaredDead: dead.size,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

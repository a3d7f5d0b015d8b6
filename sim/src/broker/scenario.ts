/**
 * One seeded broker run with faults, judged by the checker. The seed draws everything: cluster
 * size, history bounds, the workload, and a sequence of faults, one at a time with time to
 * recover between them (the semantics promise survival of one failure at a time: an event held by
 * two nodes is lost if both die before it spread).
 *
 * Faults: SIGKILL of the accepting node right after it answers 2xx; crash (host down, or process
 * only) with or without a restart on the same or a new address; graceful leave and restart; a
 * node joining during traffic; one- and two-way partitions that heal; packet loss and slow links
 * on one node; a slow subscriber (evicted when its buffer overflows, then it resumes); and, in
 * some runs, histories small enough that resumes find their events evicted.
 */
import type { AckMode } from "@shoal/broker";
import { type LinkProfile, lanLink } from "../link-profile.ts";
import { Rng, StreamPurpose } from "../prng.ts";
import { SimFailure } from "../replay.ts";
import { checkRun, describeVerdict, type Verdict } from "./checker.ts";
import { BrokerSimCluster } from "./cluster.ts";

export const FAULT_KINDS = [
  "kill-after-ack",
  "crash",
  "leave",
  "join",
  "partition",
  "partition-one-way",
  "loss",
  "slow-link",
  "slow-subscriber",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface BrokerRunOptions {
  seed: number;
  /** The command that replays this run (printed with a failure). */
  replayCommand?: string;
  /** Default: the broker's own default. */
  ackMode?: AckMode;
  /** Only these kinds of faults (default: all). */
  faults?: readonly FaultKind[];
  /** Sees the cluster once the run is over (debugging, tests). */
  onFinish?: (cluster: BrokerSimCluster) => void;
}

export interface BrokerRunResult {
  seed: number;
  nodes: number;
  historyMaxEvents: number;
  /** Faults injected, in order (kind@node), including restarts that followed them. */
  faults: string[];
  verdict: Verdict;
  /** Publishes a live node never answered. */
  hung: number;
  virtualMs: number;
  /** Virtual ms the run went on past its settling time because the cluster had not healed (0: none). */
  healMs: number;
  wallMs: number;
  events: number;
  traceHash: string;
}

const WARMUP_MS = 3_000;
/** After the last fault and the end of traffic: failure detection, repair and resumes settle. */
const SETTLE_MS = 15_000;
/**
 * Most extra time given to a cluster that has not healed after {@link SETTLE_MS}: three of the
 * gossip profile's 15 s push/pull rounds. A node that others declared dead while it could not
 * speak (a one-way partition) learns it, refutes it and is taken back only at a push/pull, and
 * replication waits for the member list; a cluster still apart after this is judged as it stands.
 */
const MAX_HEAL_MS = 45_000;
/** After healing: the repair exchange (every second) and resuming subscribers (up to 1 s) finish. */
const AFTER_HEAL_MS = 3_000;
/** Between the end of one fault and the start of the next. */
const RECOVERY_MS = 2_000;

function lossy(p: number): LinkProfile {
  return { ...lanLink(), loss: p };
}

function slow(ms: number): LinkProfile {
  return { latency: { kind: "lognormal", baseMs: ms, medianMs: ms / 4, sigma: 0.6 }, loss: 0, duplicate: 0 };
}

/** Runs seed `seed`; never throws for a violation (the verdict says), only for a harness error. */
export async function runBrokerSeed(options: BrokerRunOptions): Promise<BrokerRunResult> {
  const started = performance.now();
  const rng = new Rng(options.seed, StreamPurpose.Scenario);
  const nodes = 3 + rng.int(3);
  const smallHistory = rng.float() < 0.25;
  const historyMaxEvents = smallHistory ? 10 + rng.int(40) : 1000;
  const kinds = options.faults ?? FAULT_KINDS;
  const cluster = new BrokerSimCluster({
    seed: options.seed,
    ...(options.replayCommand !== undefined ? { replayCommand: options.replayCommand } : {}),
    ...(options.ackMode !== undefined ? { ackMode: options.ackMode } : {}),
    historyMaxEvents,
    maxBufferBytes: 16 * 1024,
  });
  for (let i = 0; i < nodes; i++) cluster.addNode(i * 10);
  const trafficMs = 3_000 + rng.int(3_000);
  const trafficEnd = WARMUP_MS + trafficMs;
  const channels = ["c", "d"];
  let pubs = 0;
  let subs = 0;
  const addWorkload = (id: number, at: number) => {
    // Two publishers per node, so a crash usually finds one waiting for its answer.
    cluster.publisher(`p${pubs++}`, id, channels, at, trafficEnd, [16, 100]);
    cluster.publisher(`p${pubs++}`, id, channels, at, trafficEnd, [16, 100]);
    cluster.subscriber(`s${subs++}`, channels[rng.int(2)]!, id, at);
  };
  for (let i = 0; i < nodes; i++) addWorkload(i, WARMUP_MS - 500);
  // One more subscriber per channel, so both always have some.
  for (const ch of channels) cluster.subscriber(`s${subs++}`, ch, rng.int(nodes), WARMUP_MS - 500);

  // Faults, one at a time. `up` is what the plan expects to be running (a crash without restart
  // shrinks it; never below two, so "one other live member" always exists).
  const up = new Set(Array.from({ length: nodes }, (_, i) => i));
  let total = nodes;
  const faultCount = 1 + rng.int(3);
  const injected: string[] = [];
  let t = WARMUP_MS + 200 + rng.int(1_000);
  for (let f = 0; f < faultCount && t < trafficEnd; f++) {
    const kind = kinds[rng.int(kinds.length)]!;
    const live = [...up];
    const victim = live[rng.int(live.length)]!;
    const rest = live.filter((id) => id !== victim);
    const dur = 1_000 + rng.int(3_000);
    let end = t + dur;
    const restartLater = (at: number, allowNoRestart: boolean) => {
      if (allowNoRestart && up.size > 2 && rng.float() < 0.4) {
        up.delete(victim);
        return;
      }
      const newAddress = rng.float() < 0.5;
      cluster.restart(victim, at, newAddress);
      injected.push(newAddress ? `restart-new-address@${victim}` : `restart@${victim}`);
    };
    if ((kind === "kill-after-ack" || kind === "crash" || kind === "leave") && up.size <= 2) {
      // Too few to lose one: degrade a link instead.
      cluster.degradeLink(victim, lossy(0.2), "loss", t, end);
      injected.push(`loss@${victim}`);
    } else if (kind === "kill-after-ack") {
      cluster.killAfterNextAck(victim, t);
      injected.push(`kill-after-ack@${victim}`);
      restartLater(end, true);
    } else if (kind === "crash") {
      cluster.crash(victim, { atMs: t, hostUp: rng.float() < 0.3 });
      injected.push(`crash@${victim}`);
      restartLater(end, true);
    } else if (kind === "leave") {
      cluster.leave(victim, t);
      injected.push(`leave@${victim}`);
      restartLater(end + 1_000, false);
      end += 1_000;
    } else if (kind === "join") {
      const node = cluster.addNode(t, true);
      up.add(node.id);
      total++;
      addWorkload(node.id, t + 200);
      injected.push(`join@${node.id}`);
      end = t + 500;
    } else if (kind === "partition" || kind === "partition-one-way") {
      cluster.partition([victim], rest, t, end, kind === "partition-one-way");
      injected.push(`${kind}@${victim}`);
    } else if (kind === "loss") {
      cluster.degradeLink(victim, lossy(0.05 + rng.float() * 0.25), "loss", t, end);
      injected.push(`loss@${victim}`);
    } else if (kind === "slow-link") {
      cluster.degradeLink(victim, slow(20 + rng.int(200)), "slow-link", t, end);
      injected.push(`slow-link@${victim}`);
    } else {
      // A reader of 128-512 B/s until traffic ends: well below the channel's rate, so its buffers
      // fill and, in longer runs, overflow and it is dropped (then it resumes).
      cluster.subscriber(`s${subs++}`, "c", victim, t, {
        bytesPerSec: 128 * (1 + rng.int(4)),
        untilMs: trafficEnd,
      });
      injected.push(`slow-subscriber@${victim}`);
      end = t + 200;
    }
    t = end + RECOVERY_MS + rng.int(1_000);
  }
  const settled = Math.max(trafficEnd, t) + SETTLE_MS;
  let until = settled;
  await cluster.sim.run(until);
  // The promises are about a cluster that has healed: give one that has not a while longer.
  if (!cluster.healed()) {
    const cap = until + MAX_HEAL_MS;
    while (until < cap && !cluster.healed()) {
      until += 1_000;
      await cluster.sim.run(until);
    }
    until += AFTER_HEAL_MS;
    await cluster.sim.run(until);
  }
  const healMs = until - settled;
  const history = cluster.finish();
  options.onFinish?.(cluster);
  const verdict = checkRun(history);
  return {
    seed: options.seed,
    nodes: total,
    historyMaxEvents,
    faults: injected,
    verdict,
    hung: cluster.hung.length,
    virtualMs: until,
    healMs,
    wallMs: performance.now() - started,
    events: cluster.sim.stats.events,
    traceHash: cluster.sim.traceHash(),
  };
}

/** A failed run as an error carrying its seed and replay command. */
export function failureOf(r: BrokerRunResult, replayCommand: string): SimFailure | null {
  if (r.verdict.ok && r.hung === 0) return null;
  const hung = r.hung > 0 ? `\n${r.hung} publishes never answered by a live node` : "";
  return new SimFailure(
    `broker run violated its promises (faults: ${r.faults.join(", ") || "none"}):\n${describeVerdict(r.verdict)}${hung}`,
    r.seed,
    replayCommand,
    r.virtualMs,
  );
}

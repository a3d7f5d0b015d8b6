/**
 * The simulator's command line: runs one scenario and prints a table.
 *
 *   npm run sim -- <scenario> [--nodes N] [--loss p] [--seed s] [--seeds k] [--duration s]
 *                  [--preset lan|wan|local] [--news join|update] [--compress true|false]
 *                  [--start grown|formed]
 *
 * Scenarios: dissemination, detection, cost (real Memberlist nodes), toy (the machinery alone).
 * Every failure prints its seed and the command that replays it.
 */
import { parseArgs } from "node:util";
import type { MemberlistConfig } from "@shoal/memberlist";
import { runBrokerCli } from "./src/broker/cli.ts";
import { lanLink, wanLink } from "./src/link-profile.ts";
import type { Preset } from "./src/memberlist-cluster.ts";
import { parseSeed, SimFailure } from "./src/replay.ts";
import type { ScenarioOptions } from "./src/scenarios/common.ts";
import { runCost } from "./src/scenarios/cost.ts";
import { runDetection } from "./src/scenarios/detection.ts";
import { type News, runDissemination } from "./src/scenarios/dissemination.ts";
import { runPartition } from "./src/scenarios/partition.ts";
import { runSlowNode } from "./src/scenarios/slow-node.ts";
import { runStalls, STALL_VARIANTS } from "./src/scenarios/stalls.ts";
import { runToy } from "./src/scenarios/toy.ts";
import { DEFAULT_WAN_STALL_LOAD, runWanStalls } from "./src/scenarios/wan-stalls.ts";
import { num, secs, textTable } from "./src/table.ts";

const USAGE = `usage: npm run sim -- <dissemination|detection|stalls|slow|partition|cost|toy|broker> [--nodes N] [--loss p]
       [--seed s] [--seeds k] [--duration s] [--preset lan|wan|local] [--news join|update]
       [--split s] [--rejoin ms] [--stall ms] [--delay ms] [--compress true|false]
       [--lag-awareness true|false] [--link lan|wan] [--start grown|formed]
       stalls --link wan: short stalls (--stall-min/--stall-max ms, one every --every ms) and a crash
       broker [--seed s] [--seeds k] [--ack-mode local|one|all] [--faults kind,...]: real brokers with faults, each run
              judged by the checker (no acknowledged event lost, no duplicate, order, honest resume)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function bool(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === "true") return true;
  if (v === "false") return false;
  return fail(`--${name} must be true or false`);
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer`);
  return n;
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        nodes: { type: "string" },
        loss: { type: "string" },
        seed: { type: "string" },
        seeds: { type: "string" },
        duration: { type: "string" },
        preset: { type: "string" },
        news: { type: "string" },
        compress: { type: "string" },
        "lag-awareness": { type: "string" },
        split: { type: "string" },
        stall: { type: "string" },
        delay: { type: "string" },
        rejoin: { type: "string" },
        link: { type: "string" },
        "stall-min": { type: "string" },
        "stall-max": { type: "string" },
        every: { type: "string" },
        start: { type: "string" },
        "ack-mode": { type: "string" },
        faults: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}
const { values, positionals } = parse();

/** A finite number >= 0 from the command line, or `dflt` when absent. */
function nonNegative(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0)) fail(`--${name} must be a number >= 0`);
  return n;
}

if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const scenario = positionals[0] ?? fail("missing scenario");
const nodes = positiveInt("nodes", values.nodes, 100);
const loss = values.loss === undefined ? 0 : Number(values.loss);
if (!(loss >= 0 && loss <= 1)) fail("--loss must be in [0, 1]");
const seed =
  values.seed === undefined ? 1 : (parseSeed(values.seed) ?? fail("--seed must be an integer >= 0"));
const seeds = positiveInt("seeds", values.seeds, 1);
const preset = (values.preset ?? "lan") as Preset;
if (!["lan", "wan", "local"].includes(preset)) fail("--preset must be lan, wan or local");
const news = (values.news ?? "join") as News;
if (news !== "join" && news !== "update") fail("--news must be join or update");
const compress = bool("compress", values.compress, true);
const start = values.start ?? "grown";
if (start !== "grown" && start !== "formed") fail("--start must be grown or formed");
const startMode: "grown" | "formed" = start;
const linkName = values.link ?? "lan";
if (linkName !== "lan" && linkName !== "wan") fail("--link must be lan or wan");
const link = linkName === "wan" ? wanLink() : lanLink();
const config: Partial<MemberlistConfig> = {
  lagAwareness: bool("lag-awareness", values["lag-awareness"], false),
};

/** The command that replays one seed of this invocation. */
function replayFor(s: number): string {
  const args = process.argv.slice(2).filter((_, i, a) => a[i - 1] !== "--seed" && a[i - 1] !== "--seeds");
  const cleaned = args.filter((a) => a !== "--seed" && a !== "--seeds");
  return `npm run sim -- ${[...cleaned, "--seed", String(s)].join(" ")}`;
}

function options(s: number): ScenarioOptions {
  return {
    nodes,
    loss,
    seed: s,
    preset,
    compress,
    config,
    link,
    start: startMode,
    replayCommand: replayFor(s),
  };
}

process.on("unhandledRejection", (err) => {
  process.stderr.write(`unhandled rejection: ${String(err)}\nreplay: ${replayFor(seed)}\n`);
  process.exit(1);
});

try {
  const rows: (string | number)[][] = [];
  if (scenario === "dissemination") {
    for (let s = seed; s < seed + seeds; s++) {
      const r = await runDissemination(options(s), news);
      rows.push([
        r.nodes,
        `${r.loss * 100}%`,
        r.seed,
        r.news,
        secs(r.t99),
        secs(r.t9999),
        secs(r.t100),
        `${r.heard}/${r.others}`,
        secs(r.model99),
        secs(r.model9999),
        num(r.wallSeconds),
      ]);
    }
    console.log(
      textTable(
        [
          "nodes",
          "loss",
          "seed",
          "news",
          "99% s",
          "99.99% s",
          "100% s",
          "heard",
          "model 99%",
          "model 99.99%",
          "wall s",
        ],
        rows,
      ),
    );
  } else if (scenario === "detection") {
    for (let s = seed; s < seed + seeds; s++) {
      const r = await runDetection(options(s));
      rows.push([
        r.nodes,
        `${r.loss * 100}%`,
        r.seed,
        secs(r.firstSuspect),
        num(r.firstSuspect / r.probeIntervalMs, 2),
        secs(r.firstDead),
        secs(r.allDead),
        `${r.deadHeard}/${r.survivors}`,
        r.falseSuspicions,
        num(r.swimFirstProbeMs / r.probeIntervalMs, 2),
        `${secs(r.suspicionMinMs)}-${secs(r.suspicionMaxMs)}`,
        num(r.wallSeconds),
      ]);
    }
    console.log(
      textTable(
        [
          "nodes",
          "loss",
          "seed",
          "suspect s",
          "in probes",
          "1st dead s",
          "all dead s",
          "dead at",
          "false susp",
          "SWIM probes",
          "susp. timeout s",
          "wall s",
        ],
        rows,
      ),
    );
  } else if (scenario === "stalls" && linkName === "wan") {
    const d = DEFAULT_WAN_STALL_LOAD;
    const minMs = nonNegative("stall-min", values["stall-min"], d.minMs);
    const maxMs = nonNegative("stall-max", values["stall-max"], d.maxMs);
    if (maxMs < minMs) fail("--stall-max must be >= --stall-min");
    const everyMs = nonNegative("every", values.every, d.everyMs);
    if (everyMs <= 0) fail("--every must be > 0");
    for (let s = seed; s < seed + seeds; s++) {
      for (const v of STALL_VARIANTS) {
        const r = await runWanStalls(options(s), v, { ...d, minMs, maxMs, everyMs });
        rows.push([
          r.nodes,
          r.seed,
          r.variant,
          r.stalls,
          r.suspicions,
          `${r.ofStalled} (${r.ofStalledByStalled})`,
          r.byStalled,
          r.other,
          r.falseDeaths,
          secs(r.crashFirstSuspect),
          secs(r.crashAllDead),
          num(r.wallSeconds),
        ]);
      }
    }
    console.log(
      textTable(
        [
          "nodes",
          "seed",
          "variant",
          "stalls",
          "suspicions",
          "of stalled (by stalled too)",
          "by stalled",
          "other",
          "false deaths",
          "crash suspect s",
          "crash dead all s",
          "wall s",
        ],
        rows,
      ),
    );
  } else if (scenario === "stalls") {
    for (let s = seed; s < seed + seeds; s++) {
      for (const v of STALL_VARIANTS) {
        const stallMs = nonNegative("stall", values.stall, 3000);
        const r = await runStalls(options(s), v, { stallMs, everyMs: 2000, windowMs: 60_000 });
        rows.push([
          r.nodes,
          `${r.loss * 100}%`,
          r.seed,
          r.variant,
          r.stalls,
          r.suspicions,
          r.ofStalled,
          r.byStalled,
          r.other,
          r.falseDeaths,
          r.membersDeclaredDead,
          num(r.wallSeconds),
        ]);
      }
    }
    console.log(
      textTable(
        [
          "nodes",
          "loss",
          "seed",
          "variant",
          "stalls",
          "suspicions",
          "of stalled",
          "by stalled",
          "other",
          "false deaths",
          "declared dead",
          "wall s",
        ],
        rows,
      ),
    );
  } else if (scenario === "slow") {
    const delayMs = nonNegative("delay", values.delay, 800);
    for (let s = seed; s < seed + seeds; s++) {
      for (const v of STALL_VARIANTS) {
        const r = await runSlowNode(options(s), v, { delayMs, durationMs: 60_000 });
        rows.push([
          r.nodes,
          `${r.loss * 100}%`,
          r.seed,
          r.variant,
          r.delayMs,
          r.bySlow,
          r.ofSlow,
          r.other,
          r.falseDeaths,
          r.maxHealthScore,
          num(r.wallSeconds),
        ]);
      }
    }
    console.log(
      textTable(
        [
          "nodes",
          "loss",
          "seed",
          "variant",
          "delay ms",
          "by slow",
          "of slow",
          "other",
          "false deaths",
          "max health",
          "wall s",
        ],
        rows,
      ),
    );
  } else if (scenario === "partition") {
    const split = nonNegative("split", values.split, 60) * 1000;
    const rejoins = values.rejoin === undefined ? [0, 10_000] : [nonNegative("rejoin", values.rejoin, 0)];
    for (let s = seed; s < seed + seeds; s++) {
      for (const rj of rejoins) {
        const r = await runPartition(options(s), split, rj);
        rows.push([
          r.nodes,
          `${r.loss * 100}%`,
          r.seed,
          r.splitSeconds,
          r.rejoinIntervalMs,
          r.declaredDeadDuringSplit,
          secs(r.healMs),
          num(r.wallSeconds),
        ]);
      }
    }
    console.log(
      textTable(["nodes", "loss", "seed", "split s", "rejoin ms", "declared dead", "heal s", "wall s"], rows),
    );
  } else if (scenario === "cost") {
    const window = nonNegative("duration", values.duration, 30) * 1000;
    for (let s = seed; s < seed + seeds; s++) {
      const r = await runCost(options(s), window);
      rows.push([
        r.nodes,
        `${r.loss * 100}%`,
        r.seed,
        num(r.packetsPerSec, 2),
        num(r.bytesPerSec, 0),
        num(r.streamsPerSec, 3),
        r.windowSeconds,
        num(r.wallSeconds),
      ]);
    }
    console.log(
      textTable(["nodes", "loss", "seed", "packets/s", "bytes/s", "streams/s", "window s", "wall s"], rows),
    );
  } else if (scenario === "broker") {
    const ok = await runBrokerCli({
      seed,
      seeds,
      ackMode: values["ack-mode"],
      faults: values.faults,
      replayFor,
      fail,
    });
    if (!ok) process.exit(1);
  } else if (scenario === "toy") {
    const duration = nonNegative("duration", values.duration, 120);
    const r = await runToy({ nodes, seconds: duration, seed, loss, replayCommand: replayFor(seed) });
    console.log(
      textTable(
        ["nodes", "virtual s", "wall s", "events", "events/wall s", "trace"],
        [
          [
            r.nodes,
            r.virtualSeconds,
            num(r.wallSeconds, 2),
            r.events,
            Math.round(r.eventsPerWallSecond),
            r.trace,
          ],
        ],
      ),
    );
  } else {
    fail(`unknown scenario ${scenario}`);
  }
} catch (err) {
  if (err instanceof SimFailure) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(
      `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nreplay: ${replayFor(seed)}\n`,
    );
  }
  process.exit(1);
}

/**
 * Writes reports/sim/: README.md (tables and commentary) and SVG charts, from fresh runs of the
 * scenarios on real Memberlist nodes.
 * Usage: npm run sim:report [-- --quick | --large | --from-results | --wan-stalls-only | --large-only
 *                               | --broker-only [--broker-seeds N]]
 * Every figure is measured by this run; nothing is pasted in by hand. `--large` adds a grown
 * 1,000-member join and section 6 (formed clusters of 1,000 and 10,000 members, detection and
 * partitions under loss: about 20 wall minutes more); `--quick` runs a smaller grid.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BROKER_SEEDS, brokerSection, runBrokerGrid } from "./report-broker.ts";
import { type LargeResults, largeSection, runLargeGrid } from "./report-large.ts";
import { runWanStallGrid, wanStallSection } from "./report-wan-stalls.ts";
import type { BrokerBatchSummary } from "./src/broker/batch.ts";
import { epidemicCurve } from "./src/models.ts";
import { summary } from "./src/observer.ts";
import { SimFailure } from "./src/replay.ts";
import type { ScenarioOptions } from "./src/scenarios/common.ts";
import { type CostResult, runCost } from "./src/scenarios/cost.ts";
import { type DetectionResult, runDetection } from "./src/scenarios/detection.ts";
import { type DisseminationResult, runDissemination } from "./src/scenarios/dissemination.ts";
import { type PartitionResult, runPartition } from "./src/scenarios/partition.ts";
import { runSlowNode, type SlowNodeResult } from "./src/scenarios/slow-node.ts";
import { runStalls, STALL_VARIANTS, type StallResult } from "./src/scenarios/stalls.ts";
import { runToy, type ToyResult } from "./src/scenarios/toy.ts";
import type { WanStallResult } from "./src/scenarios/wan-stalls.ts";
import { barChart, lineChart, type Series } from "./src/svg.ts";
import { markdownTable, num, secs } from "./src/table.ts";

let quick = process.argv.includes("--quick");
/** Adds one 1,000-member join (no loss, one seed): about 2.5 wall minutes more. */
let large = process.argv.includes("--large");
/** Re-renders README.md and the charts from results.json without running anything. */
const fromResults = process.argv.includes("--from-results");
/** Re-runs section 3c alone into results.json, then re-renders everything from it. */
const wanStallsOnly = process.argv.includes("--wan-stalls-only");
/** Re-runs section 6 alone into results.json, then re-renders everything from it. */
const largeOnly = process.argv.includes("--large-only");
/** Re-runs section 7 (the broker) alone into results.json, then re-renders (broker.md without one). */
const brokerOnly = process.argv.includes("--broker-only");
/** Seeds of section 7 (default BROKER_SEEDS, a quarter with --quick). */
const brokerSeedsArg = process.argv.indexOf("--broker-seeds");
const brokerSeeds = (): number => {
  const n = brokerSeedsArg < 0 ? Number.NaN : Number(process.argv[brokerSeedsArg + 1]);
  if (Number.isSafeInteger(n) && n > 0) return n;
  return quick ? BROKER_SEEDS / 4 : BROKER_SEEDS;
};

interface Results {
  meta: { quick: boolean; large: boolean; wallSeconds: number };
  dissemination: DisseminationResult[];
  detection: DetectionResult[];
  stalls: StallResult[];
  /** Absent in results written before section 3c existed. */
  wanStalls?: WanStallResult[];
  /** Section 6; absent unless run with --large or --large-only. */
  large?: LargeResults;
  /** Section 7; absent in results written before it existed. */
  broker?: BrokerBatchSummary;
  slow: SlowNodeResult[];
  partitions: PartitionResult[];
  cost: CostResult[];
  toy: ToyResult;
}

// JSON has no Infinity ("never") or NaN: keep them as strings in results.json.
const keepNonFinite = (_k: string, v: unknown) =>
  typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
const restoreNonFinite = (_k: string, v: unknown) =>
  v === "Infinity" || v === "-Infinity" || v === "NaN" ? Number(v) : v;
const outDir = join(new URL("..", import.meta.url).pathname, "reports", "sim");
mkdirSync(outDir, { recursive: true });

const disseminationSizes = quick ? [32, 100] : [32, 100, 300];
const losses = [0, 0.1, 0.5];
/** Seeds per dissemination cell: one run is noisy (a member may miss every retransmission). */
const disseminationSeeds = quick ? 2 : 3;

/** Median of finite values (Infinity if more than half are infinite). */
function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : v[Math.floor((v.length - 1) / 2)]!;
}

/** One row per (news, size, loss): the seeds of that cell. */
function cells(d: readonly DisseminationResult[]): DisseminationResult[][] {
  const map = new Map<string, DisseminationResult[]>();
  for (const r of d) {
    const key = `${r.news}/${r.nodes}/${r.loss}`;
    const list = map.get(key) ?? [];
    list.push(r);
    map.set(key, list);
  }
  const order = (r: DisseminationResult) => (r.news === "join" ? 0 : 1e9) + r.nodes * 10 + r.loss;
  return [...map.values()].sort((a, b) => order(a[0]!) - order(b[0]!));
}
const detectionPlan: [number, number][] = quick
  ? [[32, 5]]
  : [
      [32, 10],
      [100, 5],
    ];
const costSizes = quick ? [16, 32, 64] : [16, 32, 64, 128, 256];
const stallLengths = [3000, 8000];
const slowDelays = [1500, 3000];
const partitionPlan: [number, number][] = [
  [20_000, 0],
  [20_000, 10_000],
  [60_000, 0],
  [60_000, 10_000],
];

function opts(nodes: number, loss: number, seed: number, what: string): ScenarioOptions {
  return {
    nodes,
    loss,
    seed,
    preset: "lan",
    compress: true,
    replayCommand: `npm run sim -- ${what} --nodes ${nodes} --loss ${loss} --seed ${seed}`,
  };
}

function log(msg: string): void {
  process.stderr.write(`[sim:report] ${msg}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const dissemination: DisseminationResult[] = [];
  if (large) {
    log("dissemination join n=1000 loss=0 seed=1");
    dissemination.push(await runDissemination(opts(1000, 0, 1, "dissemination --news join"), "join"));
  }
  for (const news of ["join", "update"] as const) {
    for (const n of news === "join" ? disseminationSizes : [100]) {
      for (const loss of losses) {
        for (let seed = 1; seed <= disseminationSeeds; seed++) {
          log(`dissemination ${news} n=${n} loss=${loss} seed=${seed}`);
          dissemination.push(
            await runDissemination(opts(n, loss, seed, `dissemination --news ${news}`), news),
          );
        }
      }
    }
  }
  const detection: DetectionResult[] = [];
  for (const [n, seeds] of detectionPlan) {
    for (let s = 1; s <= seeds; s++) {
      log(`detection n=${n} seed=${s}`);
      detection.push(await runDetection(opts(n, 0, s, "detection")));
    }
  }
  const stalls: StallResult[] = [];
  for (const stallMs of stallLengths) {
    for (const v of STALL_VARIANTS) {
      log(`stalls ${stallMs} ms ${v}`);
      stalls.push(
        await runStalls(opts(32, 0, 1, `stalls --stall ${stallMs}`), v, {
          stallMs,
          everyMs: 2000,
          windowMs: 60_000,
        }),
      );
    }
  }
  const wanStalls = await runWanStallGrid(log);
  const slow: SlowNodeResult[] = [];
  for (const delayMs of slowDelays) {
    for (const v of STALL_VARIANTS) {
      log(`slow node ${delayMs} ms ${v}`);
      slow.push(
        await runSlowNode(opts(32, 0, 1, `slow --delay ${delayMs}`), v, { delayMs, durationMs: 60_000 }),
      );
    }
  }
  const partitions: PartitionResult[] = [];
  for (const [splitMs, rejoin] of partitionPlan) {
    log(`partition ${splitMs} ms rejoin ${rejoin}`);
    partitions.push(
      await runPartition(
        opts(32, 0, 1, `partition --split ${splitMs / 1000} --rejoin ${rejoin}`),
        splitMs,
        rejoin,
      ),
    );
  }
  const cost: CostResult[] = [];
  for (const n of costSizes) {
    log(`cost n=${n}`);
    cost.push(await runCost(opts(n, 0, 1, "cost")));
  }
  log("toy workload");
  const toy: ToyResult = await runToy({
    nodes: quick ? 200 : 1000,
    seconds: quick ? 30 : 120,
    seed: 1,
    loss: 0,
    replayCommand: "npm run sim -- toy",
  });
  const largeResults = large ? await runLargeGrid(log) : undefined;
  const broker = await runBrokerGrid(log, brokerSeeds());
  const totalWall = (performance.now() - started) / 1000;
  const results: Results = {
    meta: { quick, large, wallSeconds: totalWall },
    dissemination,
    detection,
    stalls,
    wanStalls,
    slow,
    partitions,
    cost,
    toy,
    ...(largeResults ? { large: largeResults } : {}),
    broker,
  };
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, keepNonFinite, 1)}\n`);
  render(results);
  log(`done in ${totalWall.toFixed(1)} s; wrote ${outDir}`);
}

function render(r: Results): void {
  quick = r.meta.quick;
  large = r.meta.large;
  writeCharts(r.dissemination, r.detection, r.cost);
  writeExtraCharts(r.stalls, r.partitions);
  writeSlowChart(r.slow);
  writeFileSync(
    join(outDir, "README.md"),
    readme(
      r.dissemination,
      r.detection,
      r.stalls,
      r.slow,
      r.partitions,
      r.cost,
      r.toy,
      r.meta.wallSeconds,
      wanStallSection(r.wanStalls),
      largeSection(r.large),
      r.broker === undefined ? "" : brokerSection(r.broker),
    ),
  );
}

function writeCharts(d: DisseminationResult[], det: DetectionResult[], cost: CostResult[]): void {
  // The largest size measured at every loss rate.
  const biggest = Math.max(
    ...d
      .filter(
        (r) =>
          r.news === "join" &&
          losses.every((l) => d.some((x) => x.news === "join" && x.nodes === r.nodes && x.loss === l)),
      )
      .map((r) => r.nodes),
  );
  const curves: Series[] = [];
  for (const loss of losses) {
    const r = d.find((x) => x.news === "join" && x.nodes === biggest && x.loss === loss && x.seed === 1);
    if (r === undefined) continue;
    curves.push({
      name: `simulated, ${loss * 100}% loss`,
      points: r.curve.map((f, i) => [i * 0.1, f * 100] as const),
    });
  }
  for (const loss of losses) {
    const model = epidemicCurve(biggest, 3, loss, 25);
    curves.push({
      name: `epidemic model, ${loss * 100}% loss`,
      points: model.map((f, i) => [i * 0.2, f * 100] as const),
      dashed: true,
    });
  }
  writeFileSync(
    join(outDir, "dissemination-curve.svg"),
    lineChart({
      title: `A join spreading through ${biggest} members (LAN preset)`,
      xLabel: "seconds after the join",
      yLabel: "% of members that know",
      series: curves,
      yMin: 0,
      yMax: 100,
      legend: "bottom-right",
    }),
  );
  const vsN: Series[] = [];
  for (const loss of losses) {
    const rows = cells(d.filter((x) => x.news === "join" && x.loss === loss)).sort(
      (a, b) => a[0]!.nodes - b[0]!.nodes,
    );
    vsN.push({
      name: `simulated 100% (median), ${loss * 100}% loss`,
      points: rows.map((c) => [c[0]!.nodes, median(c.map((r) => r.t100)) / 1000] as const),
    });
  }
  for (const loss of losses) {
    const rows = d
      .filter((x) => x.news === "join" && x.loss === loss && x.seed === 1)
      .sort((a, b) => a.nodes - b.nodes);
    vsN.push({
      name: `model 100%, ${loss * 100}% loss`,
      points: rows.map((r) => [r.nodes, r.model100 / 1000] as const),
      dashed: true,
    });
  }
  writeFileSync(
    join(outDir, "dissemination-vs-size.svg"),
    lineChart({
      title: "Time for a join to reach every member",
      xLabel: "members (log scale)",
      yLabel: "seconds",
      series: vsN,
      logX: true,
    }),
  );
  const sizes = [...new Set(det.map((r) => r.nodes))];
  const mean = (xs: number[]) => summary(xs).mean / 1000;
  writeFileSync(
    join(outDir, "detection.svg"),
    barChart({
      title: "Detecting a crashed member (mean over seeds)",
      yLabel: "seconds after the crash",
      groups: sizes.map((n) => `${n} members`),
      series: [
        {
          name: "first suspicion",
          values: sizes.map((n) => mean(det.filter((r) => r.nodes === n).map((r) => r.firstSuspect))),
        },
        {
          name: "SWIM expected first probe",
          values: sizes.map((n) => det.find((r) => r.nodes === n)!.swimFirstProbeMs / 1000),
        },
        {
          name: "first 'dead'",
          values: sizes.map((n) => mean(det.filter((r) => r.nodes === n).map((r) => r.firstDead))),
        },
        {
          name: "dead at every survivor",
          values: sizes.map((n) => mean(det.filter((r) => r.nodes === n).map((r) => r.allDead))),
        },
        {
          name: "suspicion timeout (min)",
          values: sizes.map((n) => det.find((r) => r.nodes === n)!.suspicionMinMs / 1000),
        },
      ],
    }),
  );
  writeFileSync(
    join(outDir, "cost.svg"),
    lineChart({
      title: "Steady-state traffic per member",
      xLabel: "members (log scale)",
      yLabel: "per member per second",
      logX: true,
      series: [
        {
          name: "datagrams sent",
          points: cost.map((r) => [r.nodes, r.packetsPerSec] as const),
        },
        { name: "kilobytes sent", points: cost.map((r) => [r.nodes, r.bytesPerSec / 1000] as const) },
      ],
    }),
  );
}

function writeExtraCharts(stalls: StallResult[], partitions: PartitionResult[]): void {
  writeFileSync(
    join(outDir, "stalls.svg"),
    barChart({
      title: "False 'dead' verdicts about stalled-but-alive members (32 members, 60 s)",
      yLabel: "dead events",
      groups: stallLengths.map((ms) => `stalls ~${ms / 1000} s`),
      series: STALL_VARIANTS.map((v) => ({
        name: v,
        values: stallLengths.map(
          (ms) => stalls.find((r) => r.variant === v && r.stallMs === ms)?.falseDeaths ?? Number.NaN,
        ),
      })),
    }),
  );
  const splits = [...new Set(partitions.map((p) => p.splitSeconds))];
  const rejoins = [...new Set(partitions.map((p) => p.rejoinIntervalMs))];
  writeFileSync(
    join(outDir, "partition.svg"),
    barChart({
      title: "Time to reconverge after a two-way split heals (32 members)",
      yLabel: "seconds after the heal",
      groups: splits.map((s) => `${s} s split`),
      series: rejoins.map((rj) => ({
        name: rj === 0 ? "no re-join (Go behaviour)" : `rejoinInterval ${rj / 1000} s`,
        values: splits.map(
          (s) =>
            (partitions.find((p) => p.splitSeconds === s && p.rejoinIntervalMs === rj)?.healMs ??
              Number.NaN) / 1000,
        ),
      })),
    }),
  );
}

function writeSlowChart(slow: SlowNodeResult[]): void {
  writeFileSync(
    join(outDir, "slow-node.svg"),
    barChart({
      title: "Suspicions a slow member raises about healthy ones (32 members, 60 s)",
      yLabel: "distinct suspicions",
      groups: slowDelays.map((ms) => `I/O ${ms / 1000} s late`),
      series: STALL_VARIANTS.map((v) => ({
        name: v,
        values: slowDelays.map(
          (ms) => slow.find((r) => r.variant === v && r.delayMs === ms)?.bySlow ?? Number.NaN,
        ),
      })),
    }),
  );
}

function readme(
  d: DisseminationResult[],
  det: DetectionResult[],
  stalls: StallResult[],
  slow: SlowNodeResult[],
  partitions: PartitionResult[],
  cost: CostResult[],
  toy: ToyResult,
  wall: number,
  wanStallsMd: string,
  largeMd: string,
  brokerMd: string,
): string {
  const stallRows = stalls.map((r) => [
    `~${r.stallMs / 1000} s`,
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
  const slowRows = slow.map((r) => [
    `${r.delayMs / 1000} s`,
    r.variant,
    r.bySlow,
    r.ofSlow,
    r.other,
    r.falseDeaths,
    r.maxHealthScore,
    num(r.wallSeconds),
  ]);
  const partRows = partitions.map((p) => [
    p.splitSeconds,
    p.rejoinIntervalMs === 0 ? "off" : `${p.rejoinIntervalMs / 1000} s`,
    p.declaredDeadDuringSplit,
    secs(p.healMs),
    num(p.wallSeconds),
  ]);
  const dRows = cells(d).map((c) => {
    const r = c[0]!;
    return [
      r.news,
      r.nodes,
      `${r.loss * 100}%`,
      c.length,
      secs(median(c.map((x) => x.t99))),
      secs(median(c.map((x) => x.t9999))),
      secs(median(c.map((x) => x.t100))),
      secs(Math.max(...c.map((x) => x.t100))),
      `${Math.min(...c.map((x) => x.heard))}/${r.others}`,
      secs(r.model99),
      secs(r.model9999),
      secs(r.model100),
      num(c.reduce((a, x) => a + x.wallSeconds, 0)),
    ];
  });
  const sizes = [...new Set(det.map((r) => r.nodes))];
  const detRows = sizes.map((n) => {
    const rs = det.filter((r) => r.nodes === n);
    const fs = summary(rs.map((r) => r.firstSuspect));
    const fd = summary(rs.map((r) => r.firstDead));
    const ad = summary(rs.map((r) => r.allDead));
    const r0 = rs[0]!;
    return [
      n,
      rs.length,
      secs(fs.mean),
      num(fs.mean / r0.probeIntervalMs, 2),
      num(r0.swimFirstProbeMs / r0.probeIntervalMs, 2),
      `${secs(fd.min)} / ${secs(fd.mean)} / ${secs(fd.max)}`,
      `${secs(ad.min)} / ${secs(ad.mean)} / ${secs(ad.max)}`,
      `${secs(r0.suspicionMinMs)} - ${secs(r0.suspicionMaxMs)}`,
      rs.reduce((a, r) => a + r.falseSuspicions, 0),
      rs.filter((r) => r.deadHeard < r.survivors).length,
    ];
  });
  const costRows = cost.map((r) => [
    r.nodes,
    num(r.packetsPerSec, 2),
    num(r.bytesPerSec, 0),
    num(r.streamsPerSec, 3),
    num(r.wallSeconds),
  ]);
  return `# Shoal simulator report

Generated by \`npm run sim:report${quick || large ? ` -- ${[quick ? "--quick" : "", large ? "--large" : ""].join(" ").trim()}` : ""}\` in ${wall.toFixed(0)} wall seconds; sections 3c, 6 and 7 can
be re-run alone (\`--wan-stalls-only\`, \`--large-only\`, \`--broker-only\`) into the same results. Every number below was
measured by such a run, none was written by hand: real \`Memberlist\` instances (the same engine code
and wire encoding as in production, LZW compression on, Go's LAN preset) on the simulator's virtual
clock and network (LAN latency: 0.1 ms + log-normal with a 0.15 ms median, per packet). Each row
names its seed; \`npm run sim -- <scenario> --nodes N --loss p --seed s\` replays it exactly (add
\`--start formed\` for section 6).

Sections 1-5 grow their clusters by starting members 5 ms apart, each joining the first member, and
running until every member counts every other; section 6 starts them formed. Loss is switched on
only after that, plus 5 s of settling.

## 1. Dissemination

Time from the news (a new member's join call, or \`updateNode\` on a random member) until 99%,
99.99% and 100% of the other members have it (their \`join\` / \`update\` event fired), beside the
epidemic model of Serf's convergence simulator (every gossip interval each informed member tells
3 random members, each packet lost with the given probability; round 0 is one informed member).

Simulated times are medians over the seeds of each cell; "100% max" is the slowest seed and
"heard" the fewest members that had the news by the 30 s deadline.

${markdownTable(["news", "members", "loss", "seeds", "99% s", "99.99% s", "100% s", "100% max s", "heard", "model 99% s", "model 99.99% s", "model 100% s", "wall s"], dRows)}

![dissemination curve](dissemination-curve.svg)

![dissemination vs size](dissemination-vs-size.svg)

Reading: memberlist beats the bare epidemic model because news also rides on probe pings and
acks (piggybacking) and because members' gossip ticks are out of phase, so there is no
round-synchronous wait. Serf's simulator quotes 99.99% of 1,000 nodes in about 2.2 s (LAN, no loss).
Under heavy loss an occasional member misses every one of the limited retransmissions
(retransmitMult * ceil(log10(n+1)) per member) and only learns the news from a later push/pull
or probe exchange: that is the long tail in the "100% max" column.

## 2. Detection of a crashed member

One random member's host disappears at a random phase of the probe cycle. "First suspicion" is the
first \`suspect\` event anywhere; "dead" columns are min / mean / max over seeds of the time at which
the first survivor, and the last, emitted \`leave\` with state "dead". SWIM's expected first
detection is 1 / (1 - (1 - 1/(n-1))^(n-1)) probe intervals (-> e/(e-1) ~ 1.58), to which memberlist
adds its probe timeout and indirect probes; the suspicion timeout is memberlist's
suspicionMult * max(1, log10 n) * probeInterval, up to suspicionMaxTimeoutMult times that without
confirmations.

${markdownTable(["members", "seeds", "first suspicion s (mean)", "in probe intervals", "SWIM expectation", "first dead s min/mean/max", "dead everywhere s min/mean/max", "suspicion timeout s", "false suspicions", "runs not fully detected"], detRows)}

![detection](detection.svg)

## 3. False positives under stalls

32 members; every 2 s one random member's event loop blocks for the given length (jittered
0.5x-1.5x) for 60 s, then 30 s of calm. A stalled node works off its backlog the way libuv does
(expired timers first, then socket reads). Every member stays alive throughout, so every "dead"
verdict is a false positive. Suspicions are counted once per (originator, subject, incarnation):
"of stalled" = the subject had been stalled within the last two (stretched) probe intervals;
"by stalled" = the subject was healthy but the originator had just stalled (the failure mode
Lifeguard's local-health awareness and the engine's \`lagAwareness\` target).
Variants: \`no-lifeguard\` = awarenessMaxMultiplier 1 and suspicionMaxTimeoutMult 1 (the Lifeguard
paper's baseline); \`lifeguard\` = Go's defaults; \`lifeguard+lag\` = defaults plus \`lagAwareness\`.

${markdownTable(["stall length", "variant", "stalls", "suspicions", "of stalled", "by stalled", "other", "false dead events", "members declared dead", "wall s"], stallRows)}

![stalls](stalls.svg)

Reading: on a LAN the round trip (~0.5 ms) is far shorter than any probe window, so a stall almost
never starts between a ping and its ack and stalled probers raise no suspicions of their own here;
the damage comes from stalls longer than the suspicion timeout, which get alive members declared
dead. Scenarios with WAN latencies, or stalls caused by load in the middle of probes, are next.

### 3b. A slow member

32 members; for 60 s one random member handles everything that reaches it (datagrams, stream
data, connections) late by the given delay, while its timers still fire on time — an event loop
busy with a backlog of I/O. Its probes then time out although every peer answered. Counted once
per (originator, subject, incarnation): suspicions the slow member raised ("by slow"), suspicions
about it ("of slow"), and between two other members ("other", e.g. indirect probes relayed
through the slow member); "max health" is its highest Lifeguard health score.

${markdownTable(["I/O delay", "variant", "by slow", "of slow", "other", "false dead events", "max health", "wall s"], slowRows)}

![slow node](slow-node.svg)

Reading: this is the case Lifeguard was made for. Without it the slow member keeps accusing
healthy members; with it, its failed probes raise its health score, which stretches its probe
timeouts and intervals, and its accusations almost stop. \`lagAwareness\` measures late *timers*,
so it has nothing to add here, where only I/O is late.

${wanStallsMd}
## 4. Partitions

32 members split into two halves (two-way), for 20 s and for 60 s; then the network heals. "Declared
dead" is the largest number of members one member declared dead during the split; "heal" is the time
from the heal until every member sees every other (checked every 0.5 s, up to 180 s).

${markdownTable(["split s", "rejoinInterval", "declared dead", "heal s", "wall s"], partRows)}

![partition](partition.svg)

## 5. Cost

Datagrams, and bytes (datagrams and stream segments, IP/UDP/TCP headers included), that each
member sends per second in a quiet, converged cluster, over a 30 s window.

${markdownTable(["members", "packets/s", "bytes/s", "streams opened/s", "wall s"], costRows)}

![cost](cost.svg)

${largeMd}
${brokerMd}
## The machinery itself

The toy workload (no protocol engine: every node sends a 64-byte datagram to 3 random peers every
200 ms and opens an echo stream every 5 s) ran ${toy.nodes} nodes for ${toy.virtualSeconds} virtual seconds in
${toy.wallSeconds.toFixed(1)} wall seconds: ${toy.events} events, ${Math.round(toy.eventsPerWallSecond)} events per wall second.

## Not measured here

- Grown clusters stop at ${Math.max(...d.filter((r) => r.loss > 0).map((r) => r.nodes))} members at every loss rate${large ? " (plus one grown 1,000-member join)" : ""}: growing a
  cluster by joins costs O(N² log N) messages, so larger sizes are ${largeMd === "" ? "left to `--large`, which starts them formed (section 6)" : "started formed (section 6)"}.
- 10,000 members at 50% loss: so many probes fail that suspicions and refutations never stop,
  every member ends up with its own copy of most member records (the formed start shares them only
  while members agree), and the run outgrows an 8 GB heap.
- The epidemic model here gives 99.99% of 1,000 members in 1.6 s (8 rounds of 200 ms); Serf's
  convergence simulator quotes about 2.2 s for the same case, so its model has some extra delay
  (e.g. retransmission limits or the gossip tick's phase) that this simple one does not.
`;
}

const readResults = (): Results =>
  JSON.parse(readFileSync(join(outDir, "results.json"), "utf8"), restoreNonFinite);

async function largeAlone(): Promise<void> {
  const r = readResults();
  r.large = await runLargeGrid(log);
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(r, keepNonFinite, 1)}\n`);
  render(r);
}

async function wanStallsAlone(): Promise<void> {
  const r = readResults();
  r.wanStalls = await runWanStallGrid(log);
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(r, keepNonFinite, 1)}\n`);
  render(r);
}

async function brokerAlone(): Promise<void> {
  const broker = await runBrokerGrid(log, brokerSeeds());
  let r: Results;
  try {
    r = readResults();
  } catch {
    // No full report to add it to (a fresh clone): the section alone.
    writeFileSync(join(outDir, "broker.md"), brokerSection(broker));
    log(`no results.json yet: wrote ${join(outDir, "broker.md")} only`);
    return;
  }
  r.broker = broker;
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(r, keepNonFinite, 1)}\n`);
  render(r);
}

(fromResults
  ? Promise.resolve().then(() => render(readResults()))
  : brokerOnly
    ? brokerAlone()
    : wanStallsOnly
      ? wanStallsAlone()
      : largeOnly
        ? largeAlone()
        : main()
).catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof SimFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * Section 3c of the report: short stalls on a WAN link, Lifeguard with and without lagAwareness,
 * and the detection delay of a real crash under the same load. Kept apart from report.ts so the
 * section can be re-run alone (`npm run sim:report -- --wan-stalls-only`).
 */
import type { ScenarioOptions } from "./src/scenarios/common.ts";
import { STALL_VARIANTS } from "./src/scenarios/stalls.ts";
import { DEFAULT_WAN_STALL_LOAD, runWanStalls, type WanStallResult } from "./src/scenarios/wan-stalls.ts";
import { markdownTable, num, secs } from "./src/table.ts";

/** Seeds per variant: by-stalled suspicions are a few per run, so one run is too noisy. */
export const WAN_STALL_SEEDS = 10;
const NODES = 32;

/** Runs every variant on seeds 1..WAN_STALL_SEEDS. */
export async function runWanStallGrid(log: (msg: string) => void): Promise<WanStallResult[]> {
  const out: WanStallResult[] = [];
  for (let seed = 1; seed <= WAN_STALL_SEEDS; seed++) {
    for (const v of STALL_VARIANTS) {
      log(`wan stalls seed=${seed} ${v}`);
      const o: ScenarioOptions = {
        nodes: NODES,
        loss: 0,
        seed,
        preset: "lan",
        compress: true,
        replayCommand: `npm run sim -- stalls --link wan --nodes ${NODES} --seed ${seed}`,
      };
      out.push(await runWanStalls(o, v));
    }
  }
  return out;
}

const sum = (rs: readonly WanStallResult[], f: (r: WanStallResult) => number) =>
  rs.reduce((a, r) => a + f(r), 0);

function meanFinite(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  return v.length === 0 ? Number.POSITIVE_INFINITY : v.reduce((a, b) => a + b, 0) / v.length;
}

/** The markdown of section 3c (empty when the results hold no such runs). */
export function wanStallSection(all: readonly WanStallResult[] | undefined): string {
  if (all === undefined || all.length === 0) return "";
  const by = new Map(STALL_VARIANTS.map((v) => [v, all.filter((r) => r.variant === v)]));
  const rows = STALL_VARIANTS.map((v) => {
    const rs = by.get(v)!;
    const first = rs.map((r) => r.crashFirstSuspect);
    const dead = rs.map((r) => r.crashAllDead);
    return [
      v,
      rs.length,
      sum(rs, (r) => r.stalls),
      sum(rs, (r) => r.suspicions),
      `${sum(rs, (r) => r.ofStalled)} (${sum(rs, (r) => r.ofStalledByStalled)})`,
      sum(rs, (r) => r.byStalled),
      sum(rs, (r) => r.other),
      sum(rs, (r) => r.falseDeaths),
      `${secs(meanFinite(first))} (${secs(Math.max(...first))})`,
      `${secs(meanFinite(dead))} (${secs(Math.max(...dead))})`,
      rs.filter((r) => Number.isFinite(r.crashAllDead)).length,
      num(sum(rs, (r) => r.wallSeconds)),
    ];
  });
  const perSeed = STALL_VARIANTS.map(
    (v) =>
      `${v}: ${by
        .get(v)!
        .map((r) => r.byStalled)
        .join(", ")}`,
  );
  const lg = by.get("lifeguard")!;
  const lag = by.get("lifeguard+lag")!;
  const lgBy = sum(lg, (r) => r.byStalled);
  const lagBy = sum(lag, (r) => r.byStalled);
  const lgAll = sum(lg, (r) => r.suspicions);
  const lagAll = sum(lag, (r) => r.suspicions);
  // Same seed, same victim, same crash instant: compare run by run.
  const slower = (f: (r: WanStallResult) => number) =>
    lag.map((r, i) => f(r) - f(lg[i]!)).filter(Number.isFinite);
  const dFirst = slower((r) => r.crashFirstSuspect);
  const dDead = slower((r) => r.crashAllDead);
  const l = DEFAULT_WAN_STALL_LOAD;
  return `### 3c. Short stalls on a WAN: what lagAwareness adds

${NODES} members on a WAN link (20 ms + log-normal with a 5 ms median one way, ~50 ms round trip)
with Go's LAN preset (1 s probe interval, 500 ms probe timeout: it still covers the round trip).
Every ${l.everyMs} ms one random member blocks for ${l.minMs / 1000}-${l.maxMs / 1000} s (uniform), for ${l.windowMs / 1000} s,
then 30 s of calm; stalled members work off expired timers before socket reads. ${l.crashAfterMs / 1000} s into
the load one other member (never stalled) crashes for real. Sums over seeds 1-${WAN_STALL_SEEDS}; suspicions
of the crashed member are left out of the suspicion columns. Classification as in section 3, but
"recently" is two unscaled probe intervals (2 s): with stalls this frequent a wider window marks
nearly everyone. "(prober stalled too)" counts the "of stalled" suspicions whose originator had
also stalled. Crash columns: mean over seeds (slowest seed). This section alone is re-run by
\`npm run sim:report -- --wan-stalls-only\` (the rest is re-rendered from results.json); one seed
replays with \`npm run sim -- stalls --link wan --nodes ${NODES} --seed <s>\`.

${markdownTable(["variant", "runs", "stalls", "suspicions", "of stalled (prober stalled too)", "by stalled", "other", "false dead events", "crash: first suspicion s", "crash: dead everywhere s", "runs detected everywhere", "wall s"], rows)}

By stalled, per seed: ${perSeed.join("; ")}.

Reading: a prober fails a healthy peer only when its stall starts inside the ~50 ms between its
ping and the ack and lasts past the 1 s ack deadline, so a few percent of the stalls do it. Lifeguard
does not prevent these (its health score rises only after the failed probe); \`lagAwareness\`
sees the probe's own timers fire late and holds the suspicion back: ${lgBy} suspicions by
stalled probers with Lifeguard alone, ${lagBy} with \`lagAwareness\`, and all suspicions
${lgAll} -> ${lagAll} (it also drops suspicions whose prober and subject had both stalled).
No stall here outlasts the suspicion timeout, so the suspicions are refuted and false deaths stay
rare. The cost, run by run against Lifeguard alone (same seed, victim and crash instant): first
suspicion of the crash later by ${secs(meanFinite(dFirst))} s on average (at most ${secs(Math.max(...dFirst))} s),
dead everywhere later by ${secs(meanFinite(dDead))} s on average (at most ${secs(Math.max(...dDead))} s). By
construction there are two ways it can delay detection (not separated here): a prober that stalled
during its probe of the victim holds its suspicion back and probes the victim once more at once
(one more probe round), and the awareness score it raises once per stall stretches its next probes. With Go's WAN preset (5 s probe interval) a 2 s stall cannot
outlast the ack deadline, so this failure mode needs stalls longer than the probe interval there.
`;
}

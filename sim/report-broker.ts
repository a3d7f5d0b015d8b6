/**
 * Section 7 of the report: the real broker on the simulator, seeded runs with faults, every run
 * judged by the checker. Kept apart from report.ts so it can run alone
 * (`npm run sim:report -- --broker-only [--broker-seeds N]`).
 */
import { type BrokerBatchSummary, runBrokerBatch } from "./src/broker/batch.ts";
import { RULES } from "./src/broker/checker.ts";
import { markdownTable, num } from "./src/table.ts";

/** Seeds of a full report (a quick one runs a quarter). */
export const BROKER_SEEDS = 400;

export async function runBrokerGrid(log: (msg: string) => void, seeds: number): Promise<BrokerBatchSummary> {
  const every = Math.max(1, Math.floor(seeds / 10));
  return runBrokerBatch({
    from: 1,
    count: seeds,
    replayFor: (s) => `npm run sim -- broker --seed ${s}`,
    onRun: (r, failed) => {
      if (failed) log(`broker seed ${r.seed} FAILED`);
      if (r.seed % every === 0) log(`broker ${r.seed}/${seeds}`);
    },
  });
}

/** The section's markdown. */
export function brokerSection(s: BrokerBatchSummary): string {
  const t = s.totals;
  const faultRows = Object.entries(s.faults)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => [k, v]);
  const ruleRows = RULES.map((r) => [r, s.violations[r]]);
  const failures =
    s.failures.length === 0
      ? "No run broke a promise."
      : `Failed runs (first line of each verdict; the command replays the run exactly):\n\n${s.failures
          .map((f) => `- seed ${f.seed}: \`${f.replay}\` — ${f.message.split("\n").slice(0, 2).join(" / ")}`)
          .join("\n")}`;
  return `## 7. The broker on the simulator

The real broker (\`createBroker\`: hub, subscribers, replication, repair, ack modes) over the real
\`@shoal/memberlist\` on every node, both on the node's virtual clock, replication links on
simulated TCP streams; publishers call \`accept\` (what \`POST /channel/...\` calls) and record the
answer, subscribers resume with their last \`id:\` on a live node whenever their stream ends. Each
seed draws 3-5 nodes, 3-6 s of traffic from two publishers per node on two channels, a subscriber
per node (plus one per channel and any slow ones), sometimes a history of 10-50 events, and one to
three faults, one at a time with 2-3 s to recover in between, then 15 s to settle; a cluster not
healed by then (members apart, replication links down or behind) runs on a second at a time, up to
45 s, until it has, plus 3 s. The checker judges every run: no acknowledged event missing on a
subscriber still connected at the end, no duplicate, each origin's events in order, no resume that
silently skips what the same run of its node had shown, cursors that move one origin per event and
never back.

Runs that needed more than the 15 s to heal: ${s.healedLate.runs}${
    s.healedLate.seedOfMax === null
      ? ""
      : ` (longest: ${num(s.healedLate.maxMs / 1000, 0)} s more, seed ${s.healedLate.seedOfMax})`
  }.

${markdownTable(
  [
    "runs",
    "passed",
    "failed",
    "publishes",
    "2xx",
    "503",
    "no answer",
    "deliveries",
    "resumes",
    "resets",
    "virtual s",
    "wall s",
  ],
  [
    [
      s.runs,
      s.passed,
      s.failures.length,
      t.publishes,
      t.acked,
      t.refused,
      t.unanswered,
      t.deliveries,
      t.resumes,
      t.resets,
      num(t.virtualMs / 1000, 0),
      num(s.wallMs / 1000, 1),
    ],
  ],
)}

Faults injected:

${markdownTable(["fault", "times"], faultRows)}

Checker verdicts (violations over all runs, by rule):

${markdownTable(["rule", "violations"], ruleRows)}

${failures}
`;
}

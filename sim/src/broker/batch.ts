/**
 * Many seeded broker runs and what they add up to: runs, faults injected by kind, checker
 * verdicts by rule, and every failure with the command that replays it. Shared by the CLI
 * (`npm run sim -- broker --seeds N`), the report and the tests.
 */
import type { AckMode } from "@shoal/broker";
import { RULES, type Rule } from "./checker.ts";
import { type BrokerRunResult, type FaultKind, failureOf, runBrokerSeed } from "./scenario.ts";

export interface BrokerBatchSummary {
  runs: number;
  passed: number;
  /** Failed runs: seed, replay command, what the checker said. */
  failures: { seed: number; replay: string; message: string }[];
  /** Faults injected over all runs, by kind (restarts counted apart). */
  faults: Record<string, number>;
  /** Violations over all runs, by rule. */
  violations: Record<Rule, number>;
  totals: {
    publishes: number;
    acked: number;
    refused: number;
    unanswered: number;
    deliveries: number;
    required: number;
    resumes: number;
    resets: number;
    hung: number;
    events: number;
    virtualMs: number;
  };
  /** Runs that had not healed after the settling time and ran on, and the longest extra time. */
  healedLate: { runs: number; maxMs: number; seedOfMax: number | null };
  wallMs: number;
}

export interface BrokerBatchOptions {
  from: number;
  count: number;
  ackMode?: AckMode;
  /** Only these kinds of faults (default: all). */
  faults?: readonly FaultKind[];
  /** The command that replays seed `s`. */
  replayFor: (s: number) => string;
  /** Called after each run (progress, per-run output). */
  onRun?: (r: BrokerRunResult, failed: boolean) => void;
}

export async function runBrokerBatch(options: BrokerBatchOptions): Promise<BrokerBatchSummary> {
  const started = performance.now();
  const summary: BrokerBatchSummary = {
    runs: 0,
    passed: 0,
    failures: [],
    faults: {},
    violations: Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>,
    totals: {
      publishes: 0,
      acked: 0,
      refused: 0,
      unanswered: 0,
      deliveries: 0,
      required: 0,
      resumes: 0,
      resets: 0,
      hung: 0,
      events: 0,
      virtualMs: 0,
    },
    healedLate: { runs: 0, maxMs: 0, seedOfMax: null },
    wallMs: 0,
  };
  for (let s = options.from; s < options.from + options.count; s++) {
    const replay = options.replayFor(s);
    const r = await runBrokerSeed({
      seed: s,
      replayCommand: replay,
      ...(options.ackMode !== undefined ? { ackMode: options.ackMode } : {}),
      ...(options.faults !== undefined ? { faults: options.faults } : {}),
    });
    summary.runs++;
    for (const f of r.faults) {
      const kind = f.slice(0, f.indexOf("@"));
      summary.faults[kind] = (summary.faults[kind] ?? 0) + 1;
    }
    for (const rule of RULES) summary.violations[rule] += r.verdict.counts[rule];
    const st = r.verdict.stats;
    const t = summary.totals;
    t.publishes += st.publishes;
    t.acked += st.acked;
    t.refused += st.refused;
    t.unanswered += st.unanswered;
    t.deliveries += st.deliveries;
    t.required += st.required;
    t.resumes += st.resumes;
    t.resets += st.resets;
    t.hung += r.hung;
    t.events += r.events;
    t.virtualMs += r.virtualMs;
    const late = summary.healedLate;
    if (r.healMs > 0) late.runs++;
    if (r.healMs > late.maxMs) {
      late.maxMs = r.healMs;
      late.seedOfMax = s;
    }
    const failure = failureOf(r, replay);
    if (failure === null) summary.passed++;
    else summary.failures.push({ seed: s, replay, message: failure.message });
    options.onRun?.(r, failure !== null);
  }
  summary.wallMs = performance.now() - started;
  return summary;
}

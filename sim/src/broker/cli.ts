/** `npm run sim -- broker`: runs seeds, prints what they add up to and every failure with its replay. */
import { ACK_MODES, type AckMode } from "@shoal/broker";
import { num, textTable } from "../table.ts";
import { runBrokerBatch } from "./batch.ts";
import { FAULT_KINDS, type FaultKind } from "./scenario.ts";

export interface BrokerCliOptions {
  seed: number;
  seeds: number;
  ackMode: string | undefined;
  /** Comma-separated fault kinds (default: all). */
  faults: string | undefined;
  replayFor: (s: number) => string;
  fail: (message: string) => never;
}

/** Returns false when some run failed (the caller exits 1). */
export async function runBrokerCli(o: BrokerCliOptions): Promise<boolean> {
  if (o.ackMode !== undefined && !(ACK_MODES as readonly string[]).includes(o.ackMode))
    o.fail(`--ack-mode must be one of ${ACK_MODES.join(", ")}`);
  const ackMode = o.ackMode as AckMode | undefined;
  let faults: FaultKind[] | undefined;
  if (o.faults !== undefined) {
    faults = o.faults.split(",").filter((f) => f !== "") as FaultKind[];
    const bad = faults.filter((f) => !(FAULT_KINDS as readonly string[]).includes(f));
    if (bad.length > 0 || faults.length === 0) o.fail(`--faults takes a list of ${FAULT_KINDS.join(", ")}`);
  }
  const progressEvery = Math.max(1, Math.min(500, Math.floor(o.seeds / 20)));
  const s = await runBrokerBatch({
    from: o.seed,
    count: o.seeds,
    ...(ackMode !== undefined ? { ackMode } : {}),
    ...(faults !== undefined ? { faults } : {}),
    replayFor: o.replayFor,
    onRun: (r, failed) => {
      if (failed) process.stderr.write(`seed ${r.seed}: FAILED (see below)\n`);
      if (o.seeds > 1 && (r.seed - o.seed + 1) % progressEvery === 0)
        process.stderr.write(`${r.seed - o.seed + 1}/${o.seeds} runs\n`);
    },
  });
  const t = s.totals;
  console.log(
    textTable(
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
    ),
  );
  console.log(
    `faults: ${Object.entries(s.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  const late = s.healedLate;
  if (late.seedOfMax !== null)
    console.log(
      `healed after the settling time: ${late.runs} runs (longest ${num(late.maxMs / 1000, 0)} s more, seed ${late.seedOfMax})`,
    );
  const broken = Object.entries(s.violations).filter(([, v]) => v > 0);
  console.log(`violations: ${broken.length === 0 ? "none" : broken.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const f of s.failures) console.log(`\n${f.message}`);
  return s.failures.length === 0;
}

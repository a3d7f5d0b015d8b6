/**
 * The real broker on the simulator, judged by the checker: a few hundred seeded runs with faults
 * (crashes right after a 2xx, restarts on the same or a new address, leaves, joins, partitions,
 * loss, slow links, slow subscribers, evicted history) must keep every promise. A failure prints
 * its seed and the command that replays it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runBrokerBatch } from "../src/broker/batch.ts";
import { FAULT_KINDS, runBrokerSeed } from "../src/broker/scenario.ts";

/** Seeds per `npm test`, about 20 s (SIM_BROKER_SEEDS overrides; SIM_SEED runs that one seed alone). */
const SEEDS = Number(process.env.SIM_BROKER_SEEDS ?? 60);
/**
 * Every fault but the two-way partition, which today leaves replication links stuck (a link has
 * no liveness deadline: see the todo test below). Runs with it are in `npm run sim -- broker`.
 */
const GATED = FAULT_KINDS.filter((k) => k !== "partition");
const replayFor = (s: number) => `npm run sim -- broker --faults ${GATED.join(",")} --seed ${s}`;

test(`${process.env.SIM_SEED ?? SEEDS} seeded broker runs with faults keep every promise`, async () => {
  const one = process.env.SIM_SEED;
  const from = one !== undefined && one !== "" ? Number(one) : 1;
  const s = await runBrokerBatch({
    from,
    count: one !== undefined && one !== "" ? 1 : SEEDS,
    faults: GATED,
    replayFor,
  });
  process.stdout.write(
    `# ${s.runs} runs in ${(s.wallMs / 1000).toFixed(1)} s: ${s.totals.acked} acknowledged, ` +
      `${s.totals.required} required deliveries, ${s.totals.resumes} resumes, ${s.totals.resets} resets; ` +
      `faults ${JSON.stringify(s.faults)}\n`,
  );
  assert.deepEqual(
    s.failures.map((f) => f.seed),
    [],
    s.failures
      .slice(0, 3)
      .map((f) => f.message)
      .join("\n\n"),
  );
  // The runs did what they claim: traffic, faults of every kind, resumes.
  assert.ok(s.totals.acked > s.runs * 200);
  if (s.runs >= 50) {
    for (const kind of [
      "kill-after-ack",
      "crash",
      "restart",
      "restart-new-address",
      "leave",
      "join",
      "partition-one-way",
    ])
      assert.ok((s.faults[kind] ?? 0) > 0, `some run had a ${kind}`);
    assert.ok(s.totals.resumes > 0 && s.totals.resets > 0);
  }
});

test("the same seed gives the same run, event for event", async () => {
  const a = await runBrokerSeed({ seed: 7 });
  const b = await runBrokerSeed({ seed: 7 });
  assert.equal(a.traceHash, b.traceHash);
  assert.equal(a.events, b.events);
  assert.deepEqual(a.verdict.stats, b.verdict.stats);
});

test("two-way partitions that heal: replication resumes afterwards (seeds 9, 19, 20)", {
  todo: "a replication link has no liveness deadline: a stream cut by a partition shorter than gossip's suspicion timeout stays 'connected' with its events unacked forever",
}, async () => {
  for (const seed of [9, 19, 20]) {
    const r = await runBrokerSeed({ seed });
    assert.equal(r.verdict.ok, true, `seed ${seed}: npm run sim -- broker --seed ${seed}`);
  }
});

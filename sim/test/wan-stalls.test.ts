/**
 * lagAwareness on a WAN with short, frequent stalls: a stalled prober that wakes to an expired ack
 * timer (the ack still queued behind it) accuses a healthy member under Lifeguard alone; with
 * lagAwareness the engine sees its own late timers and holds the suspicion back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { testReplayCommand, testSeed } from "../src/replay.ts";
import type { ScenarioOptions } from "../src/scenarios/common.ts";
import { runWanStalls } from "../src/scenarios/wan-stalls.ts";

const FILE = "sim/test/wan-stalls.test.ts";

test("lagAwareness strictly reduces suspicions raised by stalled probers on a WAN", async () => {
  const seed = testSeed(1);
  const o: ScenarioOptions = {
    nodes: 32,
    loss: 0,
    seed,
    preset: "lan",
    compress: true,
    replayCommand: testReplayCommand(FILE, seed),
  };
  const lifeguard = await runWanStalls(o, "lifeguard");
  const lag = await runWanStalls(o, "lifeguard+lag");
  const where = `\n  seed: ${seed}\n  replay: ${o.replayCommand}`;
  assert.ok(lifeguard.byStalled > 0, `Lifeguard alone: no suspicion by a stalled prober${where}`);
  assert.ok(
    lag.byStalled < lifeguard.byStalled,
    `by stalled: ${lag.byStalled} with lagAwareness, ${lifeguard.byStalled} without${where}`,
  );
  // The real crash is still found by everyone.
  assert.equal(lag.crashDeadHeard, lag.survivors, `crash not detected everywhere${where}`);
});

/**
 * A graceful leave must reach the live members even when the cluster is tiny and another member has
 * just crashed: gossip alone sends the leave only twice with the local preset (RetransmitMult 2,
 * three members), and both sends may go to the crashed member. Each seed is a different phase of the
 * probe and gossip timers, so many seeds cover the cases.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Memberlist } from "@shoal/memberlist";
import { MemberlistCluster } from "../src/memberlist-cluster.ts";
import { testReplayCommand, testSeed } from "../src/replay.ts";

const FILE = "sim/test/leave.test.ts";

test("a leave right after a crash reaches the survivor as a leave, never as a failure", async () => {
  const first = testSeed(1);
  for (let seed = first; seed < first + 40; seed++) {
    const replay = testReplayCommand(FILE, seed);
    const verdicts: string[] = [];
    const cluster = new MemberlistCluster({
      seed,
      preset: "local",
      replayCommand: replay,
      onCreate: (node, ml: Memberlist) => {
        if (node.id === 0) ml.on("leave", (n) => verdicts.push(`${n.name}:${n.state}`));
      },
    });
    cluster.grow(3, { spacingMs: 5 });
    await cluster.runUntilConverged(10_000);
    const sim = cluster.sim;
    const t0 = sim.now + 50;
    sim.crash(2, { atMs: t0 });
    sim.leave(1, { atMs: t0 + 10, timeoutMs: 5_000 });
    await sim.run(t0 + 30_000);
    const leaver = sim.node(1).name;
    assert.ok(
      verdicts.includes(`${leaver}:left`) && !verdicts.includes(`${leaver}:dead`),
      `the survivor saw ${JSON.stringify(verdicts)} for the leaver\n  seed: ${seed}\n  replay: ${replay}`,
    );
  }
});

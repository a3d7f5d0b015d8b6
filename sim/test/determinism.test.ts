import assert from "node:assert/strict";
import { test } from "node:test";
import type { Address } from "@shoal/memberlist";
import { testReplayCommand, testSeed } from "../src/replay.ts";
import { Simulator } from "../src/simulator.ts";
import { ToyApp, type ToyTotals } from "../src/toy-app.ts";

const seed = testSeed(20261122);
const replay = testReplayCommand("sim/test/determinism.test.ts", seed);

/** A busy run with every kind of weather: jitter, loss, duplication, streams, crashes, stalls, partitions. */
async function stormyRun(runSeed: number, trace: "events" | "bytes" = "bytes") {
  const peers: Address[] = [];
  const totals: ToyTotals = { datagramsReceived: 0, echoes: 0, dialFailures: 0 };
  const sim = new Simulator<ToyApp>(
    {
      seed: runSeed,
      trace,
      replayCommand: replay,
      link: { latency: { kind: "exponential", baseMs: 0.2, meanMs: 2 }, loss: 0.05, duplicate: 0.02 },
    },
    (ctx) =>
      new ToyApp(ctx, peers, { intervalMs: 50, fanout: 3, payloadBytes: 40, streamIntervalMs: 300 }, totals),
  );
  for (let i = 0; i < 40; i++) {
    const n = sim.addNode();
    peers.push({ host: n.ip, port: n.port });
  }
  sim.crash(3, { atMs: 1000 });
  sim.crash(4, { atMs: 1200, hostDown: false });
  sim.restart(3, { atMs: 2000 });
  sim.stall(5, { atMs: 500, durationMs: 700 });
  sim.leave(6, { atMs: 1500 });
  const p = sim.partition([10, 11, 12], [20, 21, 22], { atMs: 800 });
  p.heal(2500);
  sim.setBandwidth(7, { egressBytesPerSec: 20000, maxQueueMs: 50 });
  await sim.run(4000);
  return { hash: sim.traceHash(), events: sim.stats.events, totals };
}

test("the same seed gives the same run, event for event and byte for byte", async () => {
  const first = await stormyRun(seed);
  const second = await stormyRun(seed);
  assert.ok(first.events > 10000, `only ${first.events} events`);
  assert.ok(first.totals.echoes > 0 && first.totals.dialFailures > 0);
  assert.deepEqual(second, first, `runs diverged; replay: ${replay}`);
});

test("a different seed gives a different run", async () => {
  const a = await stormyRun(seed, "events");
  const b = await stormyRun(seed + 1, "events");
  assert.notEqual(a.hash, b.hash);
});

test("adding a node does not change the draws of the others", async () => {
  const drawsOfNode0 = async (nodes: number) => {
    const draws: number[] = [];
    const sim = new Simulator({ seed }, (ctx) => {
      if (ctx.node.id === 0)
        ctx.runtime.setTimer(1, () => draws.push(ctx.runtime.random(), ctx.runtime.random()));
      return {};
    });
    for (let i = 0; i < nodes; i++) sim.addNode();
    await sim.run(10);
    return draws;
  };
  assert.deepEqual(await drawsOfNode0(3), await drawsOfNode0(30));
  const net = (nodes: number) => {
    const sim = new Simulator({ seed }, () => ({}));
    for (let i = 0; i < nodes; i++) sim.addNode();
    return [sim.node(1).netRng.uint32(), sim.node(1).netRng.uint32()];
  };
  assert.deepEqual(net(2), net(20));
});

/**
 * A cluster started formed (`MemberlistCluster.form`, `Memberlist.formCluster`): its members share one
 * read-only copy of the member records and copy a record when its state changes for them. These check
 * that such a cluster behaves as one grown by joins: quiet when healthy, every crash detected, news
 * spread, members reaped and re-admitted. Shared records are frozen, so a write to one fails the run.
 * Deterministic (fixed seed; `SIM_SEED=<n>` replays another).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, Memberlist } from "@shoal/memberlist";
import { MemberlistCluster } from "../src/memberlist-cluster.ts";
import { suspicionBounds } from "../src/models.ts";
import { testReplayCommand, testSeed } from "../src/replay.ts";
import { formCluster, runningIds, type ScenarioOptions } from "../src/scenarios/common.ts";

const FILE = "sim/test/formed.test.ts";
const seed = testSeed(11);
const replay = testReplayCommand(FILE, seed);
const why = (what: string) => `${what}\n  seed: ${seed}\n  replay: ${replay}`;

function options(nodes: number): ScenarioOptions {
  return { nodes, loss: 0, seed, preset: "lan", compress: true, replayCommand: replay, start: "formed" };
}

test("a formed cluster agrees at once and stays quiet", async () => {
  const { cluster, observer, convergedAt } = await formCluster(options(200));
  assert.equal(convergedAt, 1, why("the formed cluster did not agree at once"));
  const packetsBefore = cluster.sim.stats.events;
  await cluster.sim.runFor(60_000);
  assert.equal(observer.suspicions, 0, why("a member was suspected in a healthy formed cluster"));
  assert.equal(observer.deaths, 0, why("a member was declared dead in a healthy formed cluster"));
  assert.ok(cluster.converged(), why("the formed cluster lost its agreement"));
  // Probing runs: about one probe per member per second, each a ping, an ack and their timers.
  assert.ok(cluster.sim.stats.events - packetsBefore > 200 * 60 * 2, why("the formed cluster is idle"));
});

test("in a formed cluster every crash is detected by every survivor within the formula's bound", async () => {
  const n = 100;
  const { cluster, observer } = await formCluster(options(n));
  const sim = cluster.sim;
  const victim = 1 + cluster.rng.int(n - 1);
  const t0 = sim.now + 77.7;
  observer.watch(sim.node(victim).name, t0);
  sim.crash(victim, { atMs: t0 });
  const { maxMs } = suspicionBounds(cluster.config, n);
  const firstProbeBound = 2 * n * cluster.config.probeInterval;
  await sim.run(t0 + firstProbeBound + maxMs + 5_000);
  const dead = observer.timesOf("dead");
  for (const id of runningIds(cluster)) {
    assert.ok(!Number.isNaN(dead[id]!), why(`node ${id} never declared the crashed node dead`));
  }
  assert.equal(observer.suspicions > 0, true);
  // Only the victim was ever suspected: copies of its record did not leak to other members.
  assert.equal(observer.deaths, n - 1, why("a member other than the victim was declared dead"));
});

test("a formed cluster admits a joiner, sees a leave, reaps it and re-admits it", async () => {
  const n = 40;
  const { cluster, observer } = await formCluster(options(n));
  const sim = cluster.sim;
  const c = cluster.config;
  // A newcomer joins through node 0.
  const joiner = sim.addNode({ atMs: sim.now });
  sim.at(sim.now + 1, () => joiner.app?.join([cluster.addressOf(0)]));
  observer.watch(joiner.name, sim.now);
  await sim.runFor(10_000);
  const joined = observer.timesOf("join");
  for (const id of runningIds(cluster)) {
    if (id === joiner.id) continue;
    assert.ok(!Number.isNaN(joined[id]!), why(`node ${id} never saw the joiner`));
  }
  assert.ok(cluster.converged(), why("the cluster did not agree after the join"));

  // A member leaves; everyone records "left", and reaps it once it is older than gossipToTheDeadTime
  // and a probe round has wrapped.
  const leaver = 3;
  const leaverName = sim.node(leaver).name;
  observer.watch(leaverName, sim.now);
  sim.leave(leaver, { atMs: sim.now, timeoutMs: 5_000 });
  await sim.runFor(c.gossipToTheDeadTime + (n + 2) * c.probeInterval * 2);
  const left = observer.timesOf("left");
  for (const id of runningIds(cluster)) {
    assert.ok(!Number.isNaN(left[id]!), why(`node ${id} never saw the leave`));
    const known = sim
      .node(id)
      .app!.allMembers()
      .some((m) => m.name === leaverName);
    assert.equal(known, false, why(`node ${id} still holds the member that left`));
  }
  assert.equal(observer.deaths, 0, why("the leave was reported as a failure"));

  // It comes back at the same address and joins again: every member takes it in anew.
  observer.watch(leaverName, sim.now);
  sim.restart(leaver, { atMs: sim.now });
  sim.at(sim.now + 1, () => sim.node(leaver).app?.join([cluster.addressOf(0)]));
  await sim.runFor(15_000);
  for (const id of runningIds(cluster)) {
    if (id === leaver) continue;
    assert.ok(!Number.isNaN(joined[id]!), why(`node ${id} never saw the member come back`));
  }
  assert.ok(cluster.converged(), why("the cluster did not agree after the return"));
});

test("formCluster only takes fresh nodes with distinct names", async () => {
  const grown = new MemberlistCluster({ seed, replayCommand: replay });
  grown.grow(2, { spacingMs: 5 });
  await grown.sim.run(2_000);
  const joined = grown.sim.nodes.map((n) => n.app!);
  assert.equal(joined[1]!.numMembers(), 2);
  assert.throws(() => Memberlist.formCluster(joined), { name: "ConfigError", message: /have not joined/ });

  const fresh = new MemberlistCluster({ seed, replayCommand: replay });
  const node = fresh.sim.addNode();
  await fresh.sim.run(1);
  const ml = node.app!;
  assert.throws(() => Memberlist.formCluster([ml, ml]), {
    name: "ConfigError",
    message: /two nodes are named/,
  });
  await ml.shutdown();
  assert.throws(() => Memberlist.formCluster([ml]), ConfigError);
});

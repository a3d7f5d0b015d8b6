/**
 * Protocol properties of the real Memberlist engine, checked on the simulator. Each test is
 * deterministic (fixed seed; `SIM_SEED=<n>` replays another) and prints its seed and replay
 * command when it fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemberlistCluster } from "../src/memberlist-cluster.ts";
import { suspicionBounds } from "../src/models.ts";
import { testReplayCommand, testSeed } from "../src/replay.ts";
import { formCluster, runningIds, type ScenarioOptions } from "../src/scenarios/common.ts";
import { runSlowNode } from "../src/scenarios/slow-node.ts";

const FILE = "sim/test/protocol.test.ts";
const seed = testSeed(7);
const replay = testReplayCommand(FILE, seed);
const why = (what: string) => `${what}\n  seed: ${seed}\n  replay: ${replay}`;

function options(nodes: number, extra: Partial<ScenarioOptions> = {}): ScenarioOptions {
  return { nodes, loss: 0, seed, preset: "lan", compress: true, replayCommand: replay, ...extra };
}

test("with no faults, no member is ever suspected", async () => {
  const { cluster, observer } = await formCluster(options(24));
  await cluster.sim.runFor(60_000);
  assert.equal(observer.suspicions, 0, why("a member was suspected in a healthy cluster"));
  assert.equal(observer.deaths, 0, why("a member was declared dead in a healthy cluster"));
  assert.ok(cluster.converged(), why("the healthy cluster lost its agreement"));
});

test("every crash is detected by every survivor within the suspicion formula's bound", async () => {
  const n = 24;
  const { cluster, observer } = await formCluster(options(n));
  const sim = cluster.sim;
  const c = cluster.config;
  const victim = 1 + cluster.rng.int(n - 1);
  const t0 = sim.now + 123.4;
  observer.watch(sim.node(victim).name, t0);
  sim.crash(victim, { atMs: t0 });
  const { maxMs } = suspicionBounds(c, n);
  // Round-robin probing reaches every member within about two passes over the member list.
  const firstProbeBound = 2 * n * c.probeInterval;
  const gossipSlack = 5_000;
  await sim.run(t0 + firstProbeBound + maxMs + gossipSlack);
  const survivors = runningIds(cluster);
  const suspect = observer.timesOf("suspect");
  const dead = observer.timesOf("dead");
  const firstSuspect = Math.min(...survivors.map((id) => suspect[id]!).filter((t) => !Number.isNaN(t)));
  assert.ok(firstSuspect - t0 <= firstProbeBound, why(`first suspicion after ${firstSuspect - t0} ms`));
  for (const id of survivors) {
    const d = dead[id]!;
    assert.ok(!Number.isNaN(d), why(`node ${id} never declared the crashed node dead`));
    assert.ok(
      d - firstSuspect <= maxMs + gossipSlack,
      why(`node ${id} declared it dead ${d - firstSuspect} ms after the first suspicion`),
    );
  }
  assert.equal(
    observer.timesOf("left").filter((t) => !Number.isNaN(t)).length,
    0,
    why("a crash was reported as a leave"),
  );
});

test("a graceful leave is never reported as a failure", async () => {
  const { cluster, observer } = await formCluster(options(20));
  const sim = cluster.sim;
  const leaver = 5;
  const t0 = sim.now;
  observer.watch(sim.node(leaver).name, t0);
  sim.leave(leaver, { atMs: t0, timeoutMs: 5000 });
  await sim.runFor(40_000);
  const left = observer.timesOf("left");
  for (const id of runningIds(cluster)) {
    assert.ok(!Number.isNaN(left[id]!), why(`node ${id} never saw the leave`));
  }
  assert.equal(sim.node(leaver).status, "stopped");
  assert.equal(
    observer.timesOf("dead").filter((t) => !Number.isNaN(t)).length,
    0,
    why("a leave was reported as a death"),
  );
  assert.equal(
    observer.timesOf("suspect").filter((t) => !Number.isNaN(t)).length,
    0,
    why("a leaving node was suspected"),
  );
  assert.ok(cluster.converged(), why("the cluster did not agree after the leave"));
});

test("incarnations never go backwards, through stalls, loss and refutations", async () => {
  const n = 16;
  const { cluster, observer } = await formCluster(options(n, { loss: 0.1 }));
  const sim = cluster.sim;
  const t0 = sim.now;
  // Stalls long enough to be suspected make members refute with higher incarnations.
  sim.stall(3, { atMs: t0 + 1000, durationMs: 4000 });
  sim.stall(7, { atMs: t0 + 9000, durationMs: 6000 });
  sim.stall(3, { atMs: t0 + 20_000, durationMs: 3000 });
  const seen = new Map<string, number>();
  let violations = 0;
  let raised = 0;
  sim.every(
    250,
    () => {
      for (const node of sim.nodes) {
        const ml = node.app;
        if (ml === null) continue;
        for (const m of ml.allMembers()) {
          const key = `${node.id}/${m.name}`;
          const before = seen.get(key);
          if (before !== undefined && m.incarnation < before) violations++;
          if (before !== undefined && m.incarnation > before) raised++;
          seen.set(key, m.incarnation);
        }
      }
    },
    { untilMs: t0 + 40_000 },
  );
  await sim.run(t0 + 40_000);
  assert.equal(violations, 0, why("an incarnation went backwards"));
  assert.ok(observer.suspicions > 0 && raised > 0, why("the stalls did not exercise refutation at all"));
});

test("after partitions, stalls and loss stop, all members converge to the same view", async () => {
  const n = 20;
  const { cluster } = await formCluster(options(n, { loss: 0.1 }));
  const sim = cluster.sim;
  const t0 = sim.now;
  const half = Array.from({ length: n / 2 }, (_, i) => i);
  const other = Array.from({ length: n / 2 }, (_, i) => i + n / 2);
  const split = sim.partition(half, other, { atMs: t0 + 1000 });
  split.heal(t0 + 9000);
  sim.partition([2], [15], { atMs: t0 + 12_000, oneWay: true }).heal(t0 + 20_000);
  sim.stall(4, { atMs: t0 + 3000, durationMs: 7000 });
  sim.at(t0 + 20_000, () => {
    sim.network.defaultLink = { ...sim.network.defaultLink, loss: 0 };
  });
  await sim.run(t0 + 20_000);
  const at = await cluster.runUntilConverged(t0 + 200_000, 1000);
  assert.ok(
    at !== null,
    why(`no agreement 180 s after the faults stopped: ${cluster.memberCounts().join(",")}`),
  );
  const views = runningIds(cluster).map((id) =>
    sim
      .node(id)
      .app!.members()
      .map((m) => m.name)
      .sort()
      .join(","),
  );
  assert.equal(new Set(views).size, 1, why("members agree on the count but not on the names"));
});

test("metadata updates reach everyone", async () => {
  const n = 30;
  const metas: Uint8Array[] = [];
  const { cluster } = await formCluster(options(n, { loss: 0.1 }), {
    configFor: (node) => ({ delegate: { nodeMeta: () => metas[node.id] ?? new Uint8Array(0) } }),
  });
  const sim = cluster.sim;
  const updaters = [2, 11, 29];
  for (const id of updaters) {
    metas[id] = new TextEncoder().encode(`v2-of-${id}`);
    sim.at(sim.now + id * 10, () =>
      sim
        .node(id)
        .app?.updateNode(10_000)
        .catch(() => {}),
    );
  }
  await sim.runFor(15_000);
  for (const node of sim.nodes) {
    const members = node.app!.members();
    for (const id of updaters) {
      const m = members.find((x) => x.name === sim.node(id).name);
      assert.equal(
        m && new TextDecoder().decode(m.meta),
        `v2-of-${id}`,
        why(`node ${node.id} has stale metadata of node ${id}`),
      );
    }
  }
});

test("a Memberlist cluster run is reproducible byte for byte from its seed", async () => {
  const run = async (s: number) => {
    const cluster = new MemberlistCluster({
      seed: s,
      trace: "bytes",
      replayCommand: replay,
      link: { latency: { kind: "exponential", baseMs: 0.2, meanMs: 1 }, loss: 0.05, duplicate: 0.01 },
    });
    cluster.grow(12, { spacingMs: 7, fanout: 2 });
    cluster.sim.stall(4, { atMs: 3000, durationMs: 2500 });
    cluster.sim.crash(6, { atMs: 5000 });
    cluster.sim.leave(8, { atMs: 7000 });
    cluster.sim.restart(6, { atMs: 9000, newAddress: true });
    await cluster.sim.run(20_000);
    return {
      hash: cluster.sim.traceHash(),
      events: cluster.sim.stats.events,
      counts: cluster.memberCounts(),
    };
  };
  const a = await run(seed);
  const b = await run(seed);
  assert.deepEqual(b, a, why("two runs with the same seed diverged"));
  const c = await run(seed + 1);
  assert.notEqual(c.hash, a.hash, why("a different seed gave the same run"));
});

test("Lifeguard's local health keeps a slow member from accusing healthy ones", async () => {
  const o = options(24);
  const without = await runSlowNode(o, "no-lifeguard", { delayMs: 2000, durationMs: 30_000 });
  const withLifeguard = await runSlowNode(o, "lifeguard", { delayMs: 2000, durationMs: 30_000 });
  assert.ok(
    without.bySlow >= 10,
    why(`the slow member raised only ${without.bySlow} suspicions without Lifeguard`),
  );
  assert.ok(
    withLifeguard.bySlow * 3 <= without.bySlow,
    why(`Lifeguard cut the slow member's suspicions only from ${without.bySlow} to ${withLifeguard.bySlow}`),
  );
  assert.ok(withLifeguard.maxHealthScore > 0, why("the slow member's health score never rose"));
});

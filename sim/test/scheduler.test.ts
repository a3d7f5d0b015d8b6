import assert from "node:assert/strict";
import { test } from "node:test";
import { Simulator } from "../src/simulator.ts";
import { ProbeApp } from "./probe-app.ts";

function sim(seed = 1) {
  return new Simulator<ProbeApp>(
    { seed, link: { latency: { kind: "constant", ms: 1 }, loss: 0, duplicate: 0 } },
    (ctx) => new ProbeApp(ctx),
  );
}

test("timers fire in due order with ties FIFO, and now() reads the due time", async () => {
  const s = sim();
  const n = s.addNode();
  const seen: string[] = [];
  s.at(0, () => {
    const rt = n.app!.runtime;
    rt.setTimer(30, () => seen.push(`c@${rt.now()}`));
    rt.setTimer(10, () => seen.push(`a@${rt.now()}`));
    rt.setTimer(10, () => seen.push(`b@${rt.now()}`));
    rt.setTimer(0, () => seen.push(`zero@${rt.now()}`));
    seen.push("sync");
  });
  await s.run(100);
  assert.deepEqual(seen, ["sync", "zero@0", "a@10", "b@10", "c@30"]);
  assert.equal(s.now, 100);
});

test("a cancelled timer never fires; cancel is idempotent", async () => {
  const s = sim();
  const n = s.addNode();
  let fired = 0;
  s.at(0, () => {
    const t = n.app!.runtime.setTimer(5, () => fired++);
    n.app!.runtime.setTimer(2, () => {
      t.cancel();
      t.cancel();
    });
  });
  await s.run(50);
  assert.equal(fired, 0);
});

test("promise chains started by an event finish before the clock moves on", async () => {
  const s = sim();
  const n = s.addNode();
  const times: number[] = [];
  s.at(0, () => {
    const rt = n.app!.runtime;
    rt.setTimer(10, async () => {
      for (let i = 0; i < 100; i++) await null;
      await Promise.all([
        Promise.resolve(),
        (async () => {
          for (let i = 0; i < 50; i++) await null;
        })(),
      ]);
      times.push(rt.now());
    });
    rt.setTimer(10.001, () => times.push(-rt.now()));
  });
  await s.run(20);
  assert.deepEqual(times, [10, -10.001]);
});

test("a run stops at its end time and can be resumed", async () => {
  const s = sim();
  const n = s.addNode();
  const fired: number[] = [];
  s.at(0, () => {
    for (const t of [5, 15, 25]) n.app!.runtime.setTimer(t, () => fired.push(t));
  });
  await s.run(10);
  assert.deepEqual(fired, [5]);
  assert.equal(s.now, 10);
  await s.runFor(10);
  assert.deepEqual(fired, [5, 15]);
  assert.equal(s.now, 20);
});

test("an exception in application code fails the run with the seed and replay command", async () => {
  const s = new Simulator<ProbeApp>(
    { seed: 77, replayCommand: "npm run sim -- x --seed 77" },
    (ctx) => new ProbeApp(ctx),
  );
  const n = s.addNode();
  s.at(3, () => {
    n.app!.runtime.setTimer(1, () => {
      throw new Error("boom");
    });
  });
  await assert.rejects(s.run(10), (err: Error) => {
    assert.equal(err.name, "SimFailure");
    assert.match(err.message, /boom/);
    assert.match(err.message, /seed: 77/);
    assert.match(err.message, /replay: npm run sim -- x --seed 77/);
    assert.match(err.message, /virtual time: 4\.000/);
    return true;
  });
});

test("a rejected scenario step fails the run", async () => {
  const s = sim();
  s.addNode();
  s.at(1, async () => {
    await null;
    throw new Error("async step failed");
  });
  await assert.rejects(s.run(10), /async step failed/);
});

test("like Node, microtasks run between two callbacks due at the same instant", async () => {
  const s = sim();
  const n = s.addNode();
  const order: string[] = [];
  s.at(0, () => {
    const rt = n.app!.runtime;
    rt.setTimer(5, async () => {
      order.push("first");
      await null;
      await null;
      order.push("first's continuation");
    });
    rt.setTimer(5, () => order.push("second"));
  });
  await s.run(10);
  assert.deepEqual(order, ["first", "first's continuation", "second"]);
});

/**
 * Latency guards that do not time anything: what the replication path may wait for.
 *
 * Two brokers run on a hand-cranked clock (timers fire only when the test says so) and in-memory
 * streams (bytes arrive as soon as the reader's promise resolves). A publish in `one` mode must be
 * acknowledged by the bytes alone: its frame goes out, the peer acks it, and no timer of any
 * length may sit on that path. (A timer of 0 ms is a whole event-loop turn in production: on a
 * busy node, every other socket's callbacks and the local subscribers' writes come first.)
 * The same harness checks that what the send path batches always fits a frame.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import type { BrokerEvent } from "../src/core/event.ts";
import type { AckTimeoutError } from "../src/core/plane.ts";
import { type Broker, createBroker, StaticCluster, silentLogger } from "../src/index.ts";
import { AckWaiters } from "../src/replication/acks.ts";
import { CrankedRuntime, drainBytes, MemoryNetwork } from "./memory-driver.ts";

async function twoBrokers(): Promise<{
  a: Broker;
  b: Broker;
  runtime: CrankedRuntime;
  network: MemoryNetwork;
}> {
  const runtime = new CrankedRuntime();
  const network = new MemoryNetwork();
  const cluster = new StaticCluster();
  const make = (name: string, addr: string) =>
    createBroker({
      membership: cluster.join(name, addr),
      driver: { runtime, wallClock: () => 1_700_000_000_000 + runtime.now(), network: network.node(addr) },
      ackMode: "one",
      heartbeatMs: 0,
      logger: silentLogger,
    });
  const a = make("a", "10.0.0.1:8080");
  const b = make("b", "10.0.0.2:8080");
  // Links come up (dials, openings, hello/welcome) on the cranked clock.
  const up = () => [a, b].every((x) => x.status().replication.every((l) => l.connected));
  for (let i = 0; i < 100 && !up(); i++) {
    await drainBytes();
    runtime.advance(10);
    runtime.runDue();
  }
  assert.ok(up(), "links up");
  await drainBytes();
  while (runtime.runDue() > 0) await drainBytes(); // nothing left over from the opening
  return { a, b, runtime, network };
}

test("a publish in `one` mode is acknowledged within one link round trip, with no timer on the path", async () => {
  const { a, b, runtime } = await twoBrokers();
  try {
    for (let i = 0; i < 3; i++) {
      let acked = false;
      const p = a.accept({ channel: "c", data: `e${i}` }).then(() => {
        acked = true;
      });
      await drainBytes();
      assert.ok(
        acked,
        `publish ${i} acknowledged with no timer run (event frame out at once, ack back at once)`,
      );
      assert.equal(b.hub.applied.get(a.hub.origin), i + 1, "the peer holds it");
      await p;
      // The coalescing turn that follows finds nothing more to send or ack.
      runtime.runDue();
      await drainBytes();
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test("events published in one turn after the first travel in one frame; acks of a turn's later frames are coalesced", async () => {
  const { a, b, runtime, network } = await twoBrokers();
  // a's outbound stream to b (a dialled b, so it is the first end of the pair a opened).
  const aToB = network.streams.find((s, i) => i % 2 === 0 && s.remote.host === "10.0.0.2")!;
  const bToA = aToB.peer;
  try {
    const framesBefore = aToB.writes;
    const acksBefore = bToA.writes;
    let settled = false;
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => a.accept({ channel: "c", data: `e${i}` })));
    all.then(
      () => {
        settled = true;
      },
      () => {},
    );
    await drainBytes();
    // The first went out at once and was acked at once; its ack let the other four out, in one frame.
    assert.equal(b.hub.applied.get(a.hub.origin), 5);
    assert.equal(aToB.writes - framesBefore, 2, "two event frames for five events");
    // b acks that second frame at the end of its turn (one ack for whatever else arrives meanwhile).
    assert.equal(bToA.writes - acksBefore, 1);
    assert.equal(settled, false);
    runtime.runDue();
    await drainBytes();
    assert.equal(bToA.writes - acksBefore, 2);
    assert.equal(settled, true);
  } finally {
    await a.close();
    await b.close();
  }
});

test("twenty 1 MB events published in one turn reach the peer: a batch never outgrows a frame", async () => {
  const { a, b, runtime } = await twoBrokers();
  try {
    const mb = "x".repeat(1024 * 1024);
    const all = Promise.all(
      Array.from({ length: 20 }, (_, i) => a.accept({ channel: "c", data: `${i}${mb}` })),
    );
    all.catch(() => {});
    for (let i = 0; i < 10 && b.hub.applied.get(a.hub.origin) !== 20; i++) {
      await drainBytes();
      runtime.runDue();
    }
    assert.equal(b.hub.applied.get(a.hub.origin), 20);
    assert.ok(
      a.status().replication.every((l) => l.connected),
      "the link stayed up",
    );
    await all;
  } finally {
    await a.close();
    await b.close();
  }
});

test("waiting publishes share one timer and each is answered 503 at its own deadline", async () => {
  const runtime = new CrankedRuntime();
  let acked = 0;
  const waiters = new AckWaiters("one", 1_000, runtime, {
    livePeers: () => ["b"],
    ackedBy: () => acked,
    joining: () => false,
  });
  const outcome: string[] = [];
  const ev = (seq: number) => ({ origin: "o", seq, time: 0, channel: "c", data: "" }) as BrokerEvent;
  const armedBefore = runtime.pending;
  for (const seq of [1, 2, 3]) {
    waiters.wait(ev(seq)).then(
      () => outcome.push(`${seq} acked at ${runtime.now()}`),
      (err: Error) => outcome.push(`${seq} ${(err as AckTimeoutError).code} at ${runtime.now()}`),
    );
    runtime.advance(100);
  }
  assert.equal(runtime.pending - armedBefore, 1, "one timer for three waiting publishes");
  acked = 1;
  waiters.check();
  for (let t = runtime.now(); t <= 1_300; t += 50) {
    runtime.runDue();
    await turn();
    runtime.advance(50);
  }
  assert.deepEqual(outcome, [
    "1 acked at 300",
    "2 ERR_NOT_REPLICATED at 1100",
    "3 ERR_NOT_REPLICATED at 1200",
  ]);
  assert.equal(waiters.timeouts, 2);
  assert.equal(waiters.pending, 0);
});

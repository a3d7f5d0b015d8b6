/**
 * Go memberlist's metrics, through an injected MetricsSink (issue 12): names, kinds and the moments
 * Go emits them, observed on real members over loopback with a recording sink.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Memberlist } from "../src/index.ts";
import { Awareness } from "../src/swim/awareness.ts";
import { addrOf, localMember, waitUntil } from "./helpers/cluster.ts";
import { RecordingSink } from "./helpers/recording-sink.ts";

const live: Memberlist[] = [];
after(async () => {
  await Promise.all(live.map((m) => m.shutdown()));
});

async function member(name: string, metrics: RecordingSink) {
  const m = await localMember(name, {
    metrics,
    metricLabels: [{ name: "cluster", value: "t" }],
    queueCheckInterval: 100,
  });
  live.push(m);
  return m;
}

test("a join, gossip, probes and a failure emit Go's metrics under Go's names", async () => {
  const sa = new RecordingSink();
  const sb = new RecordingSink();
  const a = await member("m-a", sa);
  const b = await member("m-b", sb);
  await a.join([addrOf(b)]);

  // The push/pull of the join: a dials, b accepts; both sides count their own state and the other's.
  assert.equal(sa.counter("memberlist.tcp.connect"), 1);
  assert.equal(sa.matching("sample", "memberlist.pushPullNode").length, 1);
  await waitUntil(() => sb.counter("memberlist.tcp.accept") >= 1, "b accepts the push/pull");
  for (const s of [sa, sb]) {
    await waitUntil(() => s.matching("sample", "memberlist.size.remote").length >= 1, "size.remote");
    assert.ok(s.matching("sample", "memberlist.size.local").length >= 1);
    assert.ok(s.counter("memberlist.tcp.sent") > 0, "tcp.sent counts bytes");
    // Our own alive at start-up, then the other's.
    assert.ok(s.counter("memberlist.msg.alive") >= 2);
  }

  // Probes and gossip run; UDP is counted in bytes both ways.
  await waitUntil(() => sa.matching("sample", "memberlist.probeNode").length >= 1, "a probe round");
  await waitUntil(() => sa.matching("sample", "memberlist.gossip").length >= 1, "a gossip tick");
  assert.ok(sa.counter("memberlist.udp.sent") > 0);
  assert.ok(sa.counter("memberlist.udp.received") > 0);
  await waitUntil(
    () => sa.matching("gauge", "memberlist.node.instances", { node_state: "alive" }).at(-1)?.value === 2,
    "the queue check sees two alive members",
  );
  assert.ok(sa.matching("sample", "memberlist.queue.broadcasts").length >= 1);
  // Every call carries the configured labels.
  assert.ok(sa.calls.every((c) => c.labels.cluster === "t"));

  // b fails without a word: a's probe gets no ack and nobody to ask, so its health score rises, its
  // next probe runs on a stretched interval, and b goes suspect, then dead.
  await b.shutdown();
  await waitUntil(() => sa.counter("memberlist.msg.dead") === 1, "b declared dead", 20_000);
  assert.equal(sa.counter("memberlist.msg.suspect"), 1);
  assert.ok(sa.matching("gauge", "memberlist.health.score").some((g) => g.value > 0));
  assert.ok(sa.counter("memberlist.degraded.probe") >= 1);
  await waitUntil(
    () => sa.matching("gauge", "memberlist.node.instances", { node_state: "dead" }).at(-1)?.value === 1,
    "the queue check counts the dead member",
  );
});

test("the health score gauge moves only when the score does, as Go's", () => {
  const seen: number[] = [];
  const aw = new Awareness(3, (s) => seen.push(s));
  aw.applyDelta(-1); // already 0: no change
  aw.applyDelta(1);
  aw.applyDelta(5); // clamped at max - 1 = 2
  aw.applyDelta(1); // railed: no change
  aw.applyDelta(-2);
  assert.deepEqual(seen, [1, 2, 0]);
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { StaticCluster } from "../src/membership/static.ts";
import { encodeFrame } from "../src/replication/frames.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";
import { freePort, RawLink } from "./link-helpers.ts";

const all: TestNode[] = [];
after(async () => {
  for (const n of all) await n.stop().catch(() => {});
});

/** Three brokers in this process, each on its own port, sharing a static membership. */
async function cluster(secret: Uint8Array | null = null, count = 3): Promise<TestNode[]> {
  const registry = new StaticCluster();
  const nodes: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    // The port must be known before membership is, so bind first and join after.
    const placeholder = await startNode({
      membership: registry.join(`tmp-${i}-${randomBytes(2).toString("hex")}`, ""),
    });
    const port = placeholder.port;
    await placeholder.stop();
    await placeholder.broker.membership.shutdown();
    const node = await startNode(
      { membership: registry.join(`n${i}`, `127.0.0.1:${port}`), secretKey: secret },
      port,
    );
    nodes.push(node);
    all.push(node);
  }
  await waitFor(
    () => nodes.every((n) => n.broker.status().replication.filter((l) => l.connected).length === count - 1),
    "replication links up",
  );
  return nodes;
}

test("events published on any node reach subscribers on every node, once each, in order per origin", async () => {
  const nodes = await cluster();
  const subs = await Promise.all(nodes.map((n) => SseClient.open(n.base, "/channel/c")));
  await waitFor(() => subs.every((s) => s.named("shoal-ready").length === 1), "ready");
  const perNode = 30;
  for (let i = 0; i < perNode; i++) {
    for (const [k, n] of nodes.entries()) n.broker.publish({ channel: "c", data: `${k}:${i}` });
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  const total = perNode * nodes.length;
  await waitFor(() => subs.every((s) => s.named().length >= total), "all deliveries");
  await waitFor(
    () => nodes.every((n) => n.broker.status().replication.every((l) => l.lagEvents === 0)),
    "all acked",
  );
  const metrics = await nodes[0]!.broker.metrics();
  assert.match(metrics, /^shoal_replication_lag_events\{peer="n1"\} 0$/m);
  assert.match(metrics, /^shoal_replication_lag_seconds\{peer="n2"\} 0$/m);
  assert.match(metrics, /^shoal_replication_connected\{peer="n1"\} 1$/m);
  assert.match(metrics, new RegExp(`^shoal_events_replicated_in_total ${perNode * 2}$`, "m"));
  assert.match(metrics, new RegExp(`^shoal_events_published_total ${perNode}$`, "m"));
  // One more event from every node, as an end marker: delivery is in order per origin, so once a
  // subscriber has all of them, a duplicate of anything earlier would have reached it already.
  for (const [k, n] of nodes.entries()) n.broker.publish({ channel: "c", data: `${k}:${perNode}` });
  const ends = (s: SseClient) => s.named().filter((e) => e.data.endsWith(`:${perNode}`)).length;
  await waitFor(() => subs.every((s) => ends(s) >= nodes.length), "end markers");
  for (const s of subs) {
    const data = s.named().map((e) => e.data);
    assert.equal(data.length, total + nodes.length, "no duplicates");
    for (let k = 0; k < nodes.length; k++) {
      const fromK = data.filter((d) => d.startsWith(`${k}:`)).map((d) => Number(d.split(":")[1]));
      assert.deepEqual(fromK, [...Array(perNode + 1).keys()], `origin ${k} in order, its end marker last`);
    }
    s.close();
  }
});

test("a subscriber resumes on another node with Last-Event-ID and gets exactly what it missed", async () => {
  const nodes = await cluster();
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
  const sub = await SseClient.open(a.base, "/channel/r");
  await waitFor(() => sub.named("shoal-ready").length === 1, "ready");
  for (let i = 0; i < 5; i++) {
    a.broker.publish({ channel: "r", data: `a${i}` });
    b.broker.publish({ channel: "r", data: `b${i}` });
  }
  await waitFor(() => sub.named().length === 10, "first ten");
  const cursor = sub.lastEventId!;
  sub.close();
  for (let i = 5; i < 10; i++) {
    a.broker.publish({ channel: "r", data: `a${i}` });
    b.broker.publish({ channel: "r", data: `b${i}` });
    c.broker.publish({ channel: "r", data: `c${i}` });
  }
  await waitFor(() => c.broker.hub.counters.received === 20, "c has everything");
  const resumed = await SseClient.open(c.base, "/channel/r", { "Last-Event-ID": cursor });
  await waitFor(() => resumed.named().length === 15, "missed events");
  const got = resumed
    .named()
    .map((e) => e.data)
    .sort();
  const want = [5, 6, 7, 8, 9].flatMap((i) => [`a${i}`, `b${i}`, `c${i}`]).sort();
  assert.deepEqual(got, want);
  assert.equal(resumed.named("reset").length, 0);
  resumed.close();
});

test("a cursor from a node that is ahead does not cause duplicates on a node that lags", async () => {
  const n = await startNode();
  all.push(n);
  const origin = "RemoteOr";
  const remote = (seq: number) => ({ origin, seq, time: Date.now(), channel: "ahead", data: String(seq) });
  for (let s = 1; s <= 3; s++) n.broker.hub.apply(remote(s));
  // The client saw up to seq 5 of that origin on a node further along; this one has only 3.
  const cursor = `c${origin}.5`;
  const resumed = await SseClient.open(n.base, "/channel/ahead", { "Last-Event-ID": cursor });
  await waitFor(() => resumed.named("shoal-ready").length === 1, "ready");
  assert.equal(resumed.named().length, 0, "nothing to replay");
  assert.equal(resumed.lastEventId, cursor, "the cursor does not go backwards");
  const fresh = await SseClient.open(n.base, "/channel/ahead");
  for (let s = 4; s <= 7; s++) n.broker.hub.apply(remote(s));
  const data = (c: SseClient) => c.named().map((e) => e.data);
  await waitFor(() => data(resumed).includes("7") && data(fresh).includes("7"), "live events");
  assert.equal(resumed.lastEventId, `c${origin}.7`);
  // Once caught up it shares the feed's framing again: same ids as a fresh subscriber. Event 9 is
  // the origin's last, so when it is in, any duplicate of an earlier one would be in too.
  for (let s = 8; s <= 9; s++) n.broker.hub.apply(remote(s));
  await waitFor(() => data(resumed).includes("9") && data(fresh).includes("9"), "shared path");
  assert.deepEqual(data(resumed), ["6", "7", "8", "9"], "no duplicate of what it saw elsewhere");
  assert.deepEqual(data(fresh), ["4", "5", "6", "7", "8", "9"]);
  assert.equal(resumed.lastEventId, fresh.lastEventId);
  resumed.close();
  fresh.close();
});

test("client-targeted and all-channel publishes cross nodes", async () => {
  const nodes = await cluster();
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
  const alice = await SseClient.open(b.base, "/channel/t/client/alice");
  const bob = await SseClient.open(c.base, "/channel/t/client/bob");
  const other = await SseClient.open(c.base, "/channel/u");
  await waitFor(() => [alice, bob, other].every((s) => s.named("shoal-ready").length === 1), "ready");
  assert.equal((await httpJson(a.base, "POST", "/channel/t/client/alice", { data: "hi alice" })).status, 200);
  assert.equal((await httpJson(a.base, "POST", "/channel", { data: "everyone" })).status, 200);
  await waitFor(
    () => alice.named().length === 2 && bob.named().length === 1 && other.named().length === 1,
    "deliveries",
  );
  assert.deepEqual(
    alice.named().map((e) => e.data),
    ["hi alice", "everyone"],
  );
  assert.deepEqual(
    bob.named().map((e) => e.data),
    ["everyone"],
  );
  for (const s of [alice, bob, other]) s.close();
});

test("with a secret key, replication is encrypted and a node without the key cannot inject", async () => {
  const key = randomBytes(32);
  const nodes = await cluster(key, 2);
  const [a, b] = nodes as [TestNode, TestNode];
  const sub = await SseClient.open(b.base, "/channel/s");
  await waitFor(() => sub.named("shoal-ready").length === 1, "ready");
  a.broker.publish({ channel: "s", data: "secret" });
  await waitFor(() => sub.named().length === 1, "encrypted delivery");

  // An intruder speaks the protocol with a made-up nonce and no key: plaintext hello and events.
  const intruder = await RawLink.open(b.port, null);
  intruder.write(
    encodeFrame(Buffer.from(JSON.stringify({ v: 2, n: randomBytes(16).toString("base64url") }))),
  );
  await waitFor(() => intruder.isOpen, "the node's opening");
  intruder.send({ t: "hello", node: "n0", origin: a.broker.hub.origin });
  intruder.send({ t: "events", e: [[1, Date.now(), "s", "injected", null, null, null, null]] });
  await waitFor(() => intruder.closed, "intruder dropped");
  a.broker.publish({ channel: "s", data: "after" });
  await waitFor(() => sub.named().length === 2, "legit traffic continues");
  assert.deepEqual(
    sub.named().map((e) => e.data),
    ["secret", "after"],
  );
  sub.close();
});

test("without a key, only current members may open a replication link", async () => {
  const nodes = await cluster(null, 2);
  const [, b] = nodes as [TestNode, TestNode];
  const stranger = await RawLink.open(b.port);
  stranger.sendOpening();
  stranger.send({ t: "hello", node: "stranger", origin: "Stranger" });
  await waitFor(() => stranger.closed, "stranger refused");
  assert.equal(b.broker.hub.applied.has("Stranger"), false);
  // The members' own link is unaffected.
  assert.ok(b.broker.status().replication.every((l) => l.connected));
});

test("a peer that was down gets the events it missed once its link is back", async () => {
  const registry = new StaticCluster();
  const [portA, portB] = [await freePort(), await freePort()];
  const a = await startNode({ membership: registry.join("a", `127.0.0.1:${portA}`) }, portA);
  all.push(a);
  // Announce b's address before b listens: a's link retries until b is up.
  const bMembership = registry.join("b", `127.0.0.1:${portB}`);
  for (let i = 0; i < 20; i++) a.broker.publish({ channel: "late", data: String(i) });
  const b = await startNode({ membership: bMembership }, portB);
  all.push(b);
  await waitFor(() => b.broker.hub.counters.received === 20, "b caught up", 15_000);
  const sub = await SseClient.open(b.base, "/channel/late", { "Last-Event-ID": "c" });
  await waitFor(() => sub.named().length === 20, "history on b");
  assert.deepEqual(
    sub.named().map((e) => e.data),
    [...Array(20).keys()].map(String),
  );
  sub.close();
});

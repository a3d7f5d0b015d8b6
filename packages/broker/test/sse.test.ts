import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, test } from "node:test";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
});

async function node(opts: Parameters<typeof startNode>[0] = {}): Promise<TestNode> {
  const n = await startNode(opts);
  nodes.push(n);
  return n;
}

test("stream headers, initial retry with jitter, ready event", async () => {
  const n = await node({ retryMs: 1000, retryJitter: 0.5 });
  const c = await SseClient.open(n.base, "/channel/news");
  assert.equal(c.status, 200);
  assert.match(String(c.headers["content-type"]), /^text\/event-stream/);
  assert.equal(c.headers["cache-control"], "no-cache");
  assert.equal(c.headers["x-accel-buffering"], "no");
  assert.equal(c.headers.connection, "keep-alive");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready event");
  assert.ok(c.retry !== undefined && c.retry >= 500 && c.retry <= 1500, `retry ${c.retry}`);
  assert.deepEqual(JSON.parse(c.named("shoal-ready")[0]!.data), ["news"]);
  c.close();
});

test("published events arrive framed correctly: strings, JSON values, multi-line, event, retry", async () => {
  const n = await node();
  const c = await SseClient.open(n.base, "/channel/a");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  const pretty = JSON.stringify({ x: [1, 2], y: "z" }, null, 2);
  assert.equal((await httpJson(n.base, "POST", "/channel/a", { data: "plain" })).status, 200);
  assert.equal((await httpJson(n.base, "POST", "/channel/a", { data: { x: [1, 2], y: "z" } })).status, 200);
  assert.equal(
    (await httpJson(n.base, "POST", "/channel/a", { data: pretty, event: "tick", retry: 3000 })).status,
    200,
  );
  assert.equal((await httpJson(n.base, "POST", "/channel/a", { data: "l1\r\nl2\rl3\nl4" })).status, 200);
  await waitFor(() => c.events.length >= 5, "4 events");
  const got = c.events.filter((e) => e.event !== "shoal-ready");
  assert.deepEqual(
    got.map((e) => [e.event, e.data]),
    [
      ["message", "plain"],
      ["message", '{"x":[1,2],"y":"z"}'],
      ["tick", pretty],
      ["message", "l1\nl2\nl3\nl4"],
    ],
  );
  assert.equal(c.retry, 3000);
  const ids = got.map((e) => e.id);
  assert.equal(new Set(ids).size, 4, "each id is a distinct cursor");
  c.close();
});

test("heartbeat comments at the configured interval, only on otherwise silent streams", async () => {
  const n = await node({ heartbeatMs: 100 });
  const idle = await SseClient.open(n.base, "/channel/hb");
  const busy = await SseClient.open(n.base, "/channel/busy");
  const started = Date.now();
  let published = 0;
  while (idle.comments.filter((x) => x === "heartbeat").length < 3) {
    n.broker.publish({ channel: "busy", data: String(published++) });
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(Date.now() - started < 10_000, "heartbeats arrive");
  }
  // A busy stream needs none (one may slip in if this process stalls past an interval).
  assert.ok(busy.comments.filter((x) => x === "heartbeat").length <= 1, "a busy stream gets (almost) none");
  idle.close();
  busy.close();
});

test("one connection, several channels; client-targeted and all-channel publishes", async () => {
  const n = await node();
  const both = await SseClient.open(n.base, "/channel?channel=a&channel=b");
  const onlyA = await SseClient.open(n.base, "/channel/a/client/alice");
  const onlyB = await SseClient.open(n.base, "/channel/b/client/bob");
  await waitFor(() => [both, onlyA, onlyB].every((c) => c.named("shoal-ready").length === 1), "ready");
  await httpJson(n.base, "POST", "/channel/a", { data: "to-a" });
  await httpJson(n.base, "POST", "/channel/b", { data: "to-b" });
  await httpJson(n.base, "POST", "/channel/a/client/alice", { data: "for-alice" });
  await httpJson(n.base, "POST", "/channel", { data: "to-all" });
  await waitFor(
    () => both.named().length === 3 && onlyA.named().length === 3 && onlyB.named().length === 2,
    "deliveries",
  );
  assert.deepEqual(
    both.named().map((e) => e.data),
    ["to-a", "to-b", "to-all"],
  );
  assert.deepEqual(
    onlyA.named().map((e) => e.data),
    ["to-a", "for-alice", "to-all"],
  );
  assert.deepEqual(
    onlyB.named().map((e) => e.data),
    ["to-b", "to-all"],
  );
  const status = (await httpJson(n.base, "GET", "/status")).body as {
    channels: Record<string, string[]>;
    gossip: { member_count: number };
  };
  assert.ok(status.channels.a?.includes("alice"));
  assert.ok(status.channels.b?.includes("bob"));
  assert.equal(status.gossip.member_count, 1);
  for (const c of [both, onlyA, onlyB]) c.close();
});

test("resume with Last-Event-ID gets exactly the missed events; too-old cursor gets reset", async () => {
  const n = await node({ historyMaxEvents: 5 });
  const c = await SseClient.open(n.base, "/channel/r");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  for (let i = 1; i <= 3; i++) await httpJson(n.base, "POST", "/channel/r", { data: `e${i}` });
  await waitFor(() => c.named().length === 3, "3 events");
  const cursor = c.lastEventId!;
  c.close();
  for (let i = 4; i <= 6; i++) await httpJson(n.base, "POST", "/channel/r", { data: `e${i}` });
  const resumed = await SseClient.open(n.base, "/channel/r", { "Last-Event-ID": cursor });
  await waitFor(() => resumed.named().length === 3, "replay");
  assert.deepEqual(
    resumed.named().map((e) => e.data),
    ["e4", "e5", "e6"],
  );
  assert.equal(resumed.named("reset").length, 0);
  await httpJson(n.base, "POST", "/channel/r", { data: "e7" });
  await waitFor(() => resumed.named().length === 4, "live after replay");
  assert.equal(resumed.named()[3]!.data, "e7");
  resumed.close();

  // history holds 5 events (e3..e7): a cursor after e1 has lost e2 -> reset, then what remains.
  for (let i = 8; i <= 9; i++) await httpJson(n.base, "POST", "/channel/r", { data: `e${i}` });
  const old = await SseClient.open(n.base, "/channel/r", { "Last-Event-ID": c.named()[0]!.id! });
  await waitFor(() => old.named().length === 5, "replay after reset");
  assert.equal(old.named("reset").length, 1);
  assert.equal(JSON.parse(old.named("reset")[0]!.data).reason, "history-exceeded");
  assert.deepEqual(
    old.named().map((e) => e.data),
    ["e5", "e6", "e7", "e8", "e9"],
  );
  old.close();

  const bogus = await SseClient.open(n.base, "/channel/r", { "Last-Event-ID": "not-a-cursor" });
  await waitFor(() => bogus.named("reset").length === 1, "reset for a foreign id");
  bogus.close();
});

test("a forgotten channel still answers an old cursor with reset", async () => {
  const n = await node({ historyMaxAgeMs: 100 });
  const c = await SseClient.open(n.base, "/channel/gone");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  await httpJson(n.base, "POST", "/channel/gone", { data: "1" });
  await httpJson(n.base, "POST", "/channel/gone", { data: "2" });
  await waitFor(() => c.named().length === 2, "events");
  const cursor = c.named()[0]!.id!;
  c.close();
  await waitFor(() => n.broker.hub.channelCount === 0, "channel forgotten after its history expired", 10_000);
  const late = await SseClient.open(n.base, "/channel/gone", { "Last-Event-ID": cursor });
  await waitFor(() => late.named("reset").length === 1, "reset");
  late.close();
});

test("resume with the cursor of the ready event misses nothing published in between", async () => {
  const n = await node();
  const c = await SseClient.open(n.base, "/channel/q");
  await waitFor(() => c.lastEventId !== undefined, "ready id");
  const cursor = c.lastEventId!;
  c.close();
  await httpJson(n.base, "POST", "/channel/q", { data: "while-away" });
  const again = await SseClient.open(n.base, "/channel/q", { "Last-Event-ID": cursor });
  await waitFor(() => again.named().length === 1, "missed event");
  assert.equal(again.named()[0]!.data, "while-away");
  again.close();
});

test("bad input gets a 4xx JSON error and nothing crashes", async () => {
  const n = await node({ maxBodyBytes: 1024 });
  const cases: [string, string, unknown, Record<string, string>, number][] = [
    ["POST", "/channel/a", "{not json", {}, 400],
    ["POST", "/channel/a", { nodata: 1 }, {}, 400],
    ["POST", "/channel/a", [1, 2], {}, 400],
    ["POST", "/channel/a", { data: "x", event: "a\nb" }, {}, 400],
    ["POST", "/channel/a", { data: "x", retry: -1 }, {}, 400],
    ["POST", "/channel/a", { data: "x".repeat(5000) }, {}, 413],
    ["POST", "/channel/bad%20name", { data: "x" }, {}, 400],
    ["POST", "/channel/a", "data", { "Content-Type": "text/plain" }, 415],
    ["GET", "/channel/bad%20name", undefined, {}, 400],
    ["GET", "/channel/%E0%A4%A", undefined, {}, 400],
    ["GET", "/channel/a/nope/b", undefined, {}, 404],
    ["DELETE", "/channel/a", undefined, {}, 405],
    ["GET", "/channel", undefined, {}, 400],
  ];
  for (const [method, path, body, headers, want] of cases) {
    const res = await httpJson(n.base, method, path, body, headers);
    assert.equal(res.status, want, `${method} ${path}`);
    assert.match(String(res.headers["content-type"]), /application\/json/);
    assert.equal(typeof (res.body as { error: { code: string } }).error.code, "string");
  }
  const ok = await httpJson(
    n.base,
    "POST",
    "/channel/a",
    { data: 1 },
    { "Content-Type": "application/json; charset=utf-8" },
  );
  assert.equal(ok.status, 200, "content type with parameters is accepted");
  assert.equal((await httpJson(n.base, "GET", "/healthz")).status, 200);
});

test("a slow subscriber is evicted past its bound while a fast one keeps pace", async () => {
  const n = await node({ maxBufferBytes: 128 * 1024 });
  const fast = await SseClient.open(n.base, "/channel/flood");
  // A raw socket that sends the request and never reads.
  const slow = connect(n.port, "127.0.0.1");
  slow.on("error", () => {});
  await new Promise<void>((r) => slow.once("connect", () => r()));
  slow.write("GET /channel/flood HTTP/1.1\r\nHost: x\r\n\r\n");
  slow.pause();
  await waitFor(() => n.broker.hub.connectionCount === 2, "both subscribed");
  const payload = "y".repeat(4000);
  let published = 0;
  while (n.broker.hub.counters.evictions === 0 && published < 5000) {
    n.broker.publish({ channel: "flood", data: payload });
    published++;
    // Let the in-process fast client read between small bursts, as a real client would.
    if (published % 4 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(n.broker.hub.counters.evictions, 1, "the slow subscriber is evicted");
  await waitFor(() => fast.named().length === published, "fast subscriber got everything", 20_000);
  const seqs = fast.named().map((e) => e.id);
  assert.equal(new Set(seqs).size, published);
  const metrics = await httpJson(n.base, "GET", "/metrics");
  assert.match(String(metrics.body), /shoal_evictions_total 1/);
  slow.destroy();
  fast.close();
});

test("a subscriber that never reads stalls neither publishing, nor others, nor /status", async () => {
  const n = await node({ maxBufferBytes: 256 * 1024 });
  const raw = connect(n.port, "127.0.0.1");
  raw.on("error", () => {});
  await new Promise<void>((r) => raw.once("connect", () => r()));
  raw.write("GET /channel/stall HTTP/1.1\r\nHost: x\r\n\r\n");
  raw.pause();
  const other = await SseClient.open(n.base, "/channel/stall");
  await waitFor(() => n.broker.hub.connectionCount === 2, "subscribed");
  for (let i = 0; i < 200; i++) {
    const res = await httpJson(n.base, "POST", "/channel/stall", { data: "z".repeat(2000) });
    assert.equal(res.status, 200);
  }
  await waitFor(() => other.named().length === 200, "other subscriber keeps receiving");
  assert.equal((await httpJson(n.base, "GET", "/status")).status, 200);
  raw.destroy();
  await waitFor(() => n.broker.hub.connectionCount === 1, "raw socket gone");
  await httpJson(n.base, "POST", "/channel/stall", { data: "after" });
  await waitFor(() => other.named().length === 201, "still flowing after it goes away");
  assert.equal((await httpJson(n.base, "GET", "/status")).status, 200);
  other.close();
});

test("close() tells subscribers to reconnect with a jittered retry and ends streams", async () => {
  const n = await startNode({ retryMs: 1000 });
  const c = await SseClient.open(n.base, "/channel/bye");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  const first = c.retry;
  await n.broker.close();
  await waitFor(() => c.ended, "stream ended");
  assert.ok(c.retry !== undefined);
  void first;
  n.server.closeAllConnections();
  await new Promise<void>((r) => n.server.close(() => r()));
});

test("embedding: handle() serves only the broker's routes, under an optional prefix", async () => {
  const { createServer } = await import("node:http");
  const { createBroker } = await import("../src/broker.ts");
  const broker = createBroker({ prefix: "/sse" });
  const server = createServer((req, res) => {
    if (broker.handle(req, res)) return;
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("host app");
  });
  broker.attach(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
  try {
    assert.equal((await httpJson(base, "GET", "/other")).body, "host app");
    assert.equal((await httpJson(base, "GET", "/channel/x")).body, "host app", "outside the prefix");
    const sub = await SseClient.open(base, "/sse/channel/x");
    await waitFor(() => sub.named("shoal-ready").length === 1, "ready");
    assert.equal((await httpJson(base, "POST", "/sse/channel/x", { data: "embedded" })).status, 200);
    await waitFor(() => sub.named().length === 1, "delivery");
    sub.close();
  } finally {
    await broker.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("/metrics covers connections, subscriptions, events, drops, evictions, replication and gossip", async () => {
  const n = await node();
  const c = await SseClient.open(n.base, "/channel/m?channel=m2");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  await httpJson(n.base, "POST", "/channel/m", { data: 1 });
  await waitFor(() => c.named().length === 1, "delivery");
  const res = await httpJson(n.base, "GET", "/metrics");
  assert.match(String(res.headers["content-type"]), /^text\/plain; version=0.0.4/);
  const text = String(res.body);
  for (const line of [
    "shoal_connections 1",
    "shoal_subscriptions 2",
    "shoal_events_published_total 1",
    "shoal_events_delivered_total 1",
    'shoal_events_dropped_total{reason="duplicate"} 0',
    "shoal_evictions_total 0",
    "shoal_gossip_members 1",
    "shoal_gossip_health_score 0",
  ]) {
    assert.ok(text.split("\n").includes(line), line);
  }
  assert.match(text, /# TYPE shoal_replication_lag_events gauge/);
  c.close();
});

/**
 * History and channels stay bounded on a node: memory grows with what is held (not with each
 * channel's bound), a total byte cap evicts the node's oldest events across channels, a channel
 * cap forgets idle channels, and a resume that needed something evicted gets `reset`.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Hub } from "../src/core/hub.ts";
import { spawnShoal } from "./cli-helpers.ts";
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

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** The cursor of a fresh stream on `channel`, taken from its ready event, then the stream closed. */
async function cursorNow(base: string, channel: string): Promise<string> {
  const c = await SseClient.open(base, `/channel/${channel}`);
  await waitFor(() => c.lastEventId !== undefined, "ready id");
  c.close();
  return c.lastEventId!;
}

test("an idle channel's history costs what it holds, not its bound", () => {
  const hub = new Hub({
    history: { maxEvents: 1000, maxAgeMs: 60_000 },
    maxBufferBytes: 1 << 20,
    heartbeatMs: 0,
    retryMs: 1000,
    retryJitter: 0,
    outboxEvents: 10,
    readyEvent: false,
  });
  try {
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20_000; i++) hub.publish({ channel: `ch-${i}`, data: "x" });
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(hub.channelCount, 20_000);
    // Preallocating each ring at its bound cost ~16 KB per channel (~320 MB here).
    assert.ok(grown < 60 * 1024 * 1024, `20,000 one-event channels grew the heap by ${grown} bytes`);
  } finally {
    hub.close();
  }
});

test("the total history cap evicts the node's oldest events first, across channels, and resume says reset", async () => {
  const n = await node({ historyMaxTotalBytes: 64 * 1024 });
  const cursors = new Map<string, string>();
  for (const ch of ["a", "b", "c"]) cursors.set(ch, await cursorNow(n.base, ch));
  const big = "x".repeat(20 * 1024);
  for (const ch of ["a", "b", "c"]) {
    assert.equal((await httpJson(n.base, "POST", `/channel/${ch}`, { data: big })).status, 200);
  }
  const budget = n.broker.hub.historyBudget;
  assert.ok(budget.bytes <= 64 * 1024, `history holds ${budget.bytes} bytes`);
  assert.equal(budget.events, 3, "three 20 KiB events fit in 64 KiB");
  // A fourth pushes out the oldest of the node: a's, although d is another channel.
  assert.equal((await httpJson(n.base, "POST", "/channel/d", { data: big })).status, 200);
  assert.equal(budget.events, 3);
  assert.equal(budget.evictedEvents, 1);

  const a = await SseClient.open(n.base, "/channel/a", { "Last-Event-ID": cursors.get("a")! });
  await waitFor(() => a.named("shoal-ready").length === 1, "ready on a");
  assert.equal(a.named("reset").length, 1, "a's only event is gone: reset, not a silent gap");
  assert.equal(JSON.parse(a.named("reset")[0]!.data).reason, "history-exceeded");
  assert.equal(a.named().length, 0);
  a.close();

  const b = await SseClient.open(n.base, "/channel/b", { "Last-Event-ID": cursors.get("b")! });
  await waitFor(() => b.named().length === 1, "b's event replayed");
  assert.equal(b.named("reset").length, 0, "nothing of b was evicted");
  b.close();

  const metrics = (await httpJson(n.base, "GET", "/metrics")).body as string;
  assert.match(metrics, /^shoal_history_evicted_total 1$/m);
  assert.match(metrics, /^shoal_history_events 3$/m);
});

test("an event larger than the whole cap is not kept, and resume says so", async () => {
  const n = await node({ historyMaxTotalBytes: 4096 });
  const cursor = await cursorNow(n.base, "huge");
  assert.equal((await httpJson(n.base, "POST", "/channel/huge", { data: "y".repeat(10_000) })).status, 200);
  assert.equal(n.broker.hub.historyBudget.events, 0);
  const c = await SseClient.open(n.base, "/channel/huge", { "Last-Event-ID": cursor });
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  assert.equal(c.named("reset").length, 1);
  c.close();
});

test("the channel cap forgets the least recently used idle channel; a resume on it says reset", async () => {
  const n = await node({ maxChannels: 3 });
  const cursor = await cursorNow(n.base, "c0");
  for (let i = 0; i < 3; i++) await httpJson(n.base, "POST", `/channel/c${i}`, { data: `${i}` });
  // c0 is used again: c1 is now the least recently used.
  await httpJson(n.base, "POST", "/channel/c0", { data: "again" });
  await httpJson(n.base, "POST", "/channel/c3", { data: "3" });
  assert.equal(n.broker.hub.channelCount, 3);
  assert.equal(n.broker.hub.channels.get("c1"), undefined, "c1 forgotten");
  assert.ok(n.broker.hub.channels.get("c0") !== undefined, "c0 kept (recently used)");
  const c1 = await SseClient.open(n.base, "/channel/c1", { "Last-Event-ID": cursor });
  await waitFor(() => c1.named("shoal-ready").length === 1, "ready on c1");
  assert.equal(c1.named("reset").length, 1, "c1's event was forgotten with it");
  c1.close();
  const metrics = (await httpJson(n.base, "GET", "/metrics")).body as string;
  assert.match(metrics, /^shoal_channels_evicted_total [1-9]/m);
});

test("with every channel subscribed, a new channel is refused with 503 and no seq is used", async () => {
  const n = await node({ maxChannels: 2 });
  const s1 = await SseClient.open(n.base, "/channel/s1");
  const s2 = await SseClient.open(n.base, "/channel/s2");
  await waitFor(() => s1.named("shoal-ready").length === 1 && s2.named("shoal-ready").length === 1, "ready");
  const refused = await httpJson(n.base, "POST", "/channel/s3", { data: "no room" });
  assert.equal(refused.status, 503);
  assert.equal((refused.body as { error: { code: string } }).error.code, "ERR_CHANNEL_LIMIT");
  const sub = await SseClient.open(n.base, "/channel/s4");
  assert.equal(sub.status, 503);
  const ok = (await httpJson(n.base, "POST", "/channel/s1", { data: "fits" })).body as { seq: number };
  assert.equal(ok.seq, 1, "the refused publish consumed no sequence number");
  await waitFor(() => s1.named().length === 1, "event on s1");
  s1.close();
  s2.close();
});

test("once more channels were forgotten than tombstones are kept, old cursors still get reset", async () => {
  const n = await node({ maxChannels: 8 });
  const cursor = await cursorNow(n.base, "first");
  await waitFor(() => n.broker.hub.connectionCount === 0, "the cursor's stream closed");
  n.broker.publish({ channel: "first", data: "1" });
  // 10,000 tombstones are kept one by one; forget more than that.
  for (let i = 0; i < 10_100; i++) n.broker.publish({ channel: `t${i}`, data: "x" });
  const c = await SseClient.open(n.base, "/channel/first", { "Last-Event-ID": cursor });
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  assert.equal(c.named("reset").length, 1);
  c.close();
});

test("shoal start: --history.totalBytes and --channels.max bound a flood of distinct channels", async () => {
  const p = await spawnShoal("limits", ["--history.totalBytes", "65536", "--channels.max", "50"]);
  try {
    for (let i = 0; i < 200; i++) {
      const r = await httpJson(p.base, "POST", `/channel/flood-${i}`, { data: "z".repeat(1000) });
      assert.equal(r.status, 200);
    }
    const metrics = (await httpJson(p.base, "GET", "/metrics")).body as string;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]);
    assert.ok(value("shoal_channels") <= 50, `channels ${value("shoal_channels")}`);
    assert.ok(value("shoal_history_bytes") <= 65536, `history bytes ${value("shoal_history_bytes")}`);
    assert.ok(value("shoal_channels_evicted_total") >= 150);
  } finally {
    p.proc.kill("SIGKILL");
    await waitFor(() => p.exited, "exit");
  }
});

test("the default history cap follows the heap: a quarter of it, 16..256 MiB", async () => {
  const { defaultHistoryTotalBytes } = await import("../src/memory-defaults.ts");
  const MiB = 1024 * 1024;
  assert.equal(defaultHistoryTotalBytes(256 * MiB), 64 * MiB, "a 1 GB node's default heap");
  assert.equal(defaultHistoryTotalBytes(512 * MiB), 128 * MiB, "a 2 GB node's default heap");
  assert.equal(defaultHistoryTotalBytes(4096 * MiB), 256 * MiB);
  assert.equal(defaultHistoryTotalBytes(32 * MiB), 16 * MiB);
});

test("the origin log lets go of what it dropped (1 MB events do not pile up until compaction)", async () => {
  const { OriginLog } = await import("../src/core/origin-log.ts");
  const log = new OriginLog(100_000, 8 * 1024 * 1024);
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  for (let i = 1; i <= 300; i++) {
    // A flat string of its own each time (a concatenation would share one buffer).
    const data = Buffer.alloc(1_000_000, 97 + (i % 26)).toString("latin1");
    log.append({ origin: "o", seq: i, time: 0, channel: `c${i}`, data });
  }
  collectGarbage();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 100 * 1024 * 1024, `an 8 MiB log grew the heap by ${grown} bytes`);
  assert.equal(log.firstSeq, 293);
});

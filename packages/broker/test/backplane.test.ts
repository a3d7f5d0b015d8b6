/**
 * The Redis Streams backplane against a real redis-server (started here on a free loopback port,
 * stopped after): publish/subscribe across brokers, interest (a node without subscribers of a
 * channel reads none of it), resume on any node after every broker restarted, `reset` for a
 * cursor older than the stream, Redis unreachable (503, streams stay open and catch up once, in
 * order), and a Redis restart with persistence.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { BrokerOptions } from "../src/broker.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";
import { CutProxy, freePort, RedisServer, redisCommand, redisMissing } from "./redis-server.ts";

const missing = redisMissing();

async function brokerOn(url: string, extra: BrokerOptions = {}): Promise<TestNode> {
  const node = await startNode({ backplane: url, heartbeatMs: 100, ...extra });
  await waitFor(() => node.broker.backplane?.status().state === "up", "backplane up");
  return node;
}

const datas = (c: SseClient): string[] => c.named().map((e) => e.data);

async function publish(
  node: TestNode,
  channel: string,
  data: string,
): Promise<{ status: number; body: unknown }> {
  return httpJson(node.base, "POST", `/channel/${channel}`, { data });
}

async function publishAll(node: TestNode, channel: string, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const r = await publish(node, channel, `e${i}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `e${from + i}`);

describe("Redis backplane", { skip: missing ?? false, timeout: 60_000 }, () => {
  let redis: RedisServer;
  const nodes: TestNode[] = [];
  const clients: SseClient[] = [];
  const open = async (node: TestNode, path: string, headers: Record<string, string> = {}) => {
    const c = await SseClient.open(node.base, path, headers);
    clients.push(c);
    return c;
  };
  const start = async (url: string, extra: BrokerOptions = {}) => {
    const node = await brokerOn(url, extra);
    nodes.push(node);
    return node;
  };
  const stopAll = async () => {
    for (const c of clients.splice(0)) c.close();
    for (const n of nodes.splice(0)) await n.stop();
  };

  before(async () => {
    redis = await RedisServer.start({ appendonly: true });
  });
  after(async () => {
    await stopAll();
    await redis.destroy();
  });

  test("events published on one broker reach subscribers on the others, in order, once", async () => {
    const [a, b, c] = [await start(redis.url), await start(redis.url), await start(redis.url)];
    const sb = await open(b, "/channel/news");
    const sc = await open(c, "/channel/news");
    const sa = await open(a, "/channel/news");
    await waitFor(() => [sa, sb, sc].every((s) => s.named("shoal-ready").length === 1), "ready");
    const first = await publish(a, "news", "e1");
    assert.equal(first.status, 200);
    const ack = first.body as { origin: string; seq: number; channel: string };
    assert.equal(ack.channel, "news");
    await publishAll(b, "news", 2, 5);
    await publishAll(c, "news", 6, 10);
    for (const s of [sa, sb, sc]) await waitFor(() => s.named().length >= 10, "10 events");
    await new Promise((r) => setTimeout(r, 50));
    for (const s of [sa, sb, sc]) assert.deepEqual(datas(s), range(1, 10));
    // The id after an event is the same cursor on every node.
    assert.equal(sb.named()[9]!.id, sc.named()[9]!.id);
    await stopAll();
  });

  test("a broker without subscribers of a channel reads none of its traffic", async () => {
    const [a, b, c] = [await start(redis.url), await start(redis.url), await start(redis.url)];
    const sb = await open(b, "/channel/busy");
    const sc = await open(c, "/channel/elsewhere");
    await waitFor(
      () => sb.named("shoal-ready").length === 1 && sc.named("shoal-ready").length === 1,
      "ready",
    );
    await publishAll(a, "busy", 1, 20);
    await waitFor(() => sb.named().length === 20, "20 events on b");
    await publish(a, "elsewhere", "marker");
    await waitFor(() => sc.named().length === 1, "marker on c");
    const statusC = c.broker.backplane!.status();
    assert.equal(statusC.eventsRead, 1, "c read only its own channel's event");
    assert.equal(a.broker.backplane!.status().eventsRead, 0, "a has no subscribers: reads nothing");
    assert.equal(b.broker.backplane!.status().eventsRead, 20);
    // Interest ends with the last subscriber: the stream is no longer read.
    sb.close();
    await waitFor(() => b.broker.backplane!.status().streamsRead === 0, "b stops reading");
    await publishAll(a, "busy", 21, 25);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.broker.backplane!.status().eventsRead, 20);
    await stopAll();
  });

  test("Last-Event-ID resumes on any broker after every broker restarted", async () => {
    let [a, b] = [await start(redis.url), await start(redis.url)];
    const s1 = await open(b, "/channel/resume");
    await waitFor(() => s1.named("shoal-ready").length === 1, "ready");
    await publishAll(a, "resume", 1, 5);
    await waitFor(() => s1.named().length === 5, "5 events");
    const cursor = s1.named()[2]!.id!; // after e3
    s1.close();
    await publishAll(b, "resume", 6, 10);
    await stopAll();
    [a, b] = [await start(redis.url), await start(redis.url)];
    const c = await start(redis.url);
    const s2 = await open(c, "/channel/resume", { "Last-Event-ID": cursor });
    await waitFor(() => s2.named().length >= 7, "replay");
    await publish(a, "resume", "e11");
    await waitFor(() => s2.named().length >= 8, "live after replay");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s2.named("reset").length, 0);
    assert.deepEqual(datas(s2), range(4, 11));
    await stopAll();
  });

  test("a cursor older than the stream's first entry gets reset, a recent one does not", async () => {
    const a = await start(redis.url, { historyMaxEvents: 10 });
    const s1 = await open(a, "/channel/short");
    await waitFor(() => s1.named("shoal-ready").length === 1, "ready");
    await publishAll(a, "short", 1, 2);
    await waitFor(() => s1.named().length === 2, "2 events");
    const old = s1.named()[0]!.id!;
    s1.close();
    await publishAll(a, "short", 3, 400);
    const s2 = await open(a, "/channel/short", { "Last-Event-ID": old });
    await waitFor(() => s2.named().some((e) => e.data === "e400"), "replay to the end");
    assert.equal(s2.events[0]!.event, "reset");
    assert.match(s2.named("reset")[0]!.data, /history-exceeded/);
    const got = datas(s2);
    assert.ok(got.length >= 10 && got.length < 398, `kept ${got.length}`);
    assert.deepEqual(got, range(401 - got.length, 400), "what is kept is contiguous up to the end");
    // A cursor inside the stream resumes exactly, without reset.
    const recent = s2.named()[got.length - 4]!.id!;
    const s3 = await open(a, "/channel/short", { "Last-Event-ID": recent });
    await waitFor(() => s3.named().length === 3, "3 events");
    assert.equal(s3.named("reset").length, 0);
    assert.deepEqual(datas(s3), range(398, 400));
    // A mesh cursor (or garbage) is not ours: reset, never a silent start.
    const s4 = await open(a, "/channel/short", { "Last-Event-ID": "nonsense" });
    await waitFor(() => s4.named("reset").length === 1, "reset for a foreign cursor");
    assert.match(s4.named("reset")[0]!.data, /invalid-cursor/);
    await stopAll();
  });

  test("Redis unreachable: 503 on publish, streams stay open, then catch up once and in order", async () => {
    const proxy = await CutProxy.start(redis.port);
    try {
      const a = await start(redis.url);
      const b = await start(proxy.url);
      const s = await open(b, "/channel/outage");
      await waitFor(() => s.named("shoal-ready").length === 1, "ready");
      await publishAll(a, "outage", 1, 3);
      await waitFor(() => s.named().length === 3, "3 events");

      proxy.sever(); // b loses Redis; a keeps it
      await waitFor(() => b.broker.backplane!.status().state === "down", "b sees the backplane down");
      const refused = await publish(b, "outage", "never");
      assert.equal(refused.status, 503);
      assert.equal((refused.body as { error: { code: string } }).error.code, "ERR_BACKPLANE_UNAVAILABLE");
      const health = await httpJson(b.base, "GET", "/healthz");
      assert.equal(health.status, 200);
      assert.deepEqual(
        [
          (health.body as { status: string }).status,
          (health.body as { backplane: { state: string } }).backplane.state,
        ],
        ["degraded", "down"],
      );
      const status = (await httpJson(b.base, "GET", "/status")).body as { backplane: { state: string } };
      assert.equal(status.backplane.state, "down");
      const metrics = String((await httpJson(b.base, "GET", "/metrics")).body);
      assert.match(metrics, /^shoal_backplane_up 0$/m);
      assert.match(metrics, /^shoal_backplane_append_failures_total 1$/m);
      await publishAll(a, "outage", 4, 8);
      const beats = s.comments.length;
      await waitFor(() => s.comments.length >= beats + 3, "heartbeats keep flowing");
      assert.equal(s.ended, false);
      assert.equal(s.named().length, 3);

      proxy.restore();
      await waitFor(() => s.named().length >= 8, "catch-up after the link returns");
      await waitFor(() => b.broker.backplane!.status().state === "up", "b up again");
      assert.ok(b.broker.backplane!.status().reconnects > 0);

      // Now Redis itself goes away for everyone, and comes back with its data.
      await redis.stop();
      await waitFor(() => a.broker.backplane!.status().state === "down", "a sees the backplane down");
      assert.equal((await publish(a, "outage", "never")).status, 503);
      await redis.restart();
      await waitFor(() => a.broker.backplane!.status().state === "up", "a up again", 20_000);
      await waitFor(() => b.broker.backplane!.status().state === "up", "b up again", 20_000);
      await publishAll(a, "outage", 9, 10);
      await waitFor(() => s.named().length >= 10, "events after the restart");
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(s.ended, false);
      assert.deepEqual(datas(s), range(1, 10));
      await stopAll();
    } finally {
      await proxy.close();
    }
  });

  test("a broker started before Redis refuses publishes, then connects once Redis is up", async () => {
    const port = await freePort();
    const node = await startNode({ backplane: `redis://127.0.0.1:${port}`, heartbeatMs: 100 });
    nodes.push(node);
    await waitFor(() => node.broker.backplane!.status().state === "down", "down while Redis is absent");
    const refused = await publish(node, "late", "never");
    assert.equal(refused.status, 503);
    const sub = await httpJson(node.base, "GET", "/channel/late");
    assert.equal(sub.status, 503, "a new stream needs Redis for its position");
    const late = await RedisServer.startOn(port);
    try {
      await waitFor(() => node.broker.backplane!.status().state === "up", "up once Redis is", 20_000);
      const s1 = await open(node, "/channel/late");
      await waitFor(() => s1.named("shoal-ready").length === 1, "ready");
      await publishAll(node, "late", 1, 2);
      await waitFor(() => s1.named().length === 2, "2 events");
      assert.deepEqual(datas(s1), range(1, 2));
      await stopAll();
    } finally {
      await late.destroy();
    }
  });

  test("a stream Redis lost begins above every old position: live streams go on, old cursors get reset", async () => {
    const a = await start(redis.url);
    const live = await open(a, "/channel/lost");
    await waitFor(() => live.named("shoal-ready").length === 1, "ready");
    await publishAll(a, "lost", 1, 3);
    await waitFor(() => live.named().length === 3, "3 events");
    const cursor = live.named()[2]!.id!;
    await redisCommand(redis.port, "FLUSHALL"); // as a restart without persistence would
    await publishAll(a, "lost", 4, 5);
    await waitFor(() => live.named().length === 5, "the live stream reads the new stream");
    assert.deepEqual(datas(live), range(1, 5));
    const resumed = await open(a, "/channel/lost", { "Last-Event-ID": cursor });
    await waitFor(() => resumed.named().length === 2, "replay of the new stream");
    assert.equal(resumed.events[0]!.event, "reset", "what the lost stream held after the cursor is unknown");
    assert.deepEqual(datas(resumed), range(4, 5));
    await stopAll();
  });

  test("history survives a Redis restart with persistence on", async () => {
    const a = await start(redis.url);
    const s1 = await open(a, "/channel/durable");
    await waitFor(() => s1.named("shoal-ready").length === 1, "ready");
    await publishAll(a, "durable", 1, 6);
    await waitFor(() => s1.named().length === 6, "6 events");
    const cursor = s1.named()[1]!.id!;
    await stopAll();
    await redis.stop();
    await redis.restart();
    const b = await start(redis.url);
    const s2 = await open(b, "/channel/durable", { "Last-Event-ID": cursor });
    await waitFor(() => s2.named().length >= 4, "replay after the restart");
    await publishAll(b, "durable", 7, 7);
    await waitFor(() => s2.named().length >= 5, "live after it");
    assert.equal(s2.named("reset").length, 0);
    assert.deepEqual(datas(s2), range(3, 7));
    await stopAll();
  });
});

/**
 * The proof, through the real CLI: three `shoal start` processes on loopback with
 * gossip and replication encrypted, subscribers on every node, a SIGKILL mid-stream, a
 * non-reading subscriber, an EventSource client, and a graceful SIGTERM.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { after, test } from "node:test";
import { EventSource } from "eventsource";
import { runShoal, type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { httpJson, SseClient, waitFor } from "./helpers.ts";

const procs: ShoalProcess[] = [];
after(() => {
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
});

const KEY = randomBytes(32).toString("base64");
const COMMON = [
  "--gossip.profile",
  "local",
  "--gossip.secretKey",
  KEY,
  "--sse.buffer",
  "262144",
  "--log.level",
  "info",
];

interface Status {
  gossip: { member_count: number; members: Record<string, number> };
  channels: Record<string, string[]>;
  replication: { peer: string; connected: boolean }[];
}

async function status(p: ShoalProcess): Promise<Status> {
  return (await httpJson(p.base, "GET", "/status")).body as Status;
}

test("--help documents every flag; a bad key is a clear error", async () => {
  const help = await runShoal(["start", "--help"]);
  assert.equal(help.code, 0);
  for (const flag of [
    "--gossip.port",
    "--gossip.hosts",
    "--gossip.secretKey",
    "--http.server.port",
    "--http.server.cors.enabled",
    "--http.client.timeout",
    "GOSSIP_PORT",
    "GOSSIP_HOSTS",
    "GOSSIP_SECRET_KEY",
    "HTTP_SERVER_PORT",
    "HTTP_SERVER_ENABLE_CORS",
    "HTTP_CLIENT_TIMEOUT",
  ]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const bad = await runShoal([
    "start",
    "--gossip.secretKey",
    Buffer.from("thisisatemporarykey").toString("base64"),
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /19 bytes; AES needs 16, 24 or 32/);
});

test("three CLI nodes: fan-out, targeted and all-channel, SIGKILL mid-stream, resume elsewhere, stalls, SIGTERM", async (t) => {
  const a = await spawnShoal("node-a", COMMON);
  procs.push(a);
  const seeds = ["--gossip.hosts", `127.0.0.1:${a.gossipPort}`];
  const b = await spawnShoal("node-b", [...COMMON, ...seeds]);
  procs.push(b);
  // c gets its seed from the environment, as sse-cluster's GOSSIP_HOSTS.
  const c = await spawnShoal("node-c", COMMON, { GOSSIP_HOSTS: `127.0.0.1:${a.gossipPort}` });
  procs.push(c);
  const nodes = [a, b, c];
  for (const p of nodes) {
    await waitForAsync(async () => {
      const s = await status(p);
      return (
        s.gossip.member_count === 3 && s.replication.length === 2 && s.replication.every((l) => l.connected)
      );
    }, `${p.name} sees the cluster`);
  }

  await t.test("gossip encryption is really on: a node without the key cannot join", async () => {
    const intruder = await spawnShoal("intruder", [
      "--gossip.profile",
      "local",
      "--gossip.hosts",
      `127.0.0.1:${a.gossipPort}`,
    ]);
    procs.push(intruder);
    await waitFor(
      () => intruder.logs.some((l) => l.msg === "join failed, retrying"),
      "the join to fail",
      20_000,
    );
    assert.equal((await status(a)).gossip.member_count, 3);
    assert.equal((await status(intruder)).gossip.member_count, 1);
    intruder.proc.kill("SIGKILL");
  });

  await t.test("every subscriber gets every event once, in order per publishing node", async () => {
    const subs = await Promise.all(nodes.map((p) => SseClient.open(p.base, "/channel/fan")));
    await waitFor(() => subs.every((s) => s.named("shoal-ready").length === 1), "ready");
    const perNode = 20;
    for (let i = 0; i < perNode; i++) {
      for (const [k, p] of nodes.entries()) {
        const res = await httpJson(p.base, "POST", "/channel/fan", { data: { from: k, i } });
        assert.equal(res.status, 200);
      }
    }
    const total = perNode * nodes.length;
    await waitFor(() => subs.every((s) => s.named().length >= total), "all deliveries", 20_000);
    // Then one end marker from every node. Delivery is in order per publishing node, so once a
    // subscriber has every marker, a duplicate of anything earlier would have reached it already.
    for (const [k, p] of nodes.entries()) {
      assert.equal(
        (await httpJson(p.base, "POST", "/channel/fan", { data: { from: k, i: -1 } })).status,
        200,
      );
    }
    const isEnd = (e: { data: string }) => (JSON.parse(e.data) as { i: number }).i === -1;
    await waitFor(() => subs.every((s) => s.named().filter(isEnd).length >= nodes.length), "end markers");
    for (const s of subs) {
      const got = s.named().map((e) => JSON.parse(e.data) as { from: number; i: number });
      assert.equal(got.length, total + nodes.length, "exactly once, end markers included");
      for (let k = 0; k < nodes.length; k++) {
        assert.deepEqual(
          got.filter((g) => g.from === k).map((g) => g.i),
          [...Array(perNode).keys(), -1],
          `node ${k}'s events once each, in order, its end marker last`,
        );
      }
      s.close();
    }
  });

  await t.test("client-targeted and all-channel publishes", async () => {
    const alice = await SseClient.open(b.base, "/channel/tg/client/alice");
    const carol = await SseClient.open(c.base, "/channel/tg/client/carol");
    const other = await SseClient.open(a.base, "/channel/elsewhere");
    await waitFor(() => [alice, carol, other].every((s) => s.named("shoal-ready").length === 1), "ready");
    assert.equal(
      (await httpJson(a.base, "POST", "/channel/tg/client/alice", { data: "only alice" })).status,
      200,
    );
    assert.equal((await httpJson(c.base, "POST", "/channel", { data: "all" })).status, 200);
    await waitFor(
      () => alice.named().length === 2 && carol.named().length === 1 && other.named().length === 1,
      "deliveries",
    );
    assert.deepEqual(
      alice.named().map((e) => e.data),
      ["only alice", "all"],
    );
    assert.deepEqual(
      carol.named().map((e) => e.data),
      ["all"],
    );
    const s = await status(b);
    assert.deepEqual(s.channels.tg, ["alice"]);
    for (const x of [alice, carol, other]) x.close();
  });

  await t.test("an EventSource client works", async () => {
    const es = new EventSource(`${b.base}/channel/es`);
    const got: string[] = [];
    es.onmessage = (e) => got.push(e.data);
    await new Promise<void>((resolve, reject) => {
      es.onopen = () => resolve();
      es.onerror = () => reject(new Error("EventSource failed"));
    });
    await httpJson(a.base, "POST", "/channel/es", { data: "line1\nline2" });
    await waitFor(() => got.length === 1, "EventSource message");
    assert.equal(got[0], "line1\nline2");
    es.close();
  });

  await t.test("a subscriber that never reads stalls nothing, before or after it goes away", async () => {
    const raw = connect(a.httpPort, "127.0.0.1");
    raw.on("error", () => {});
    await new Promise<void>((r) => raw.once("connect", () => r()));
    raw.write("GET /channel/stall HTTP/1.1\r\nHost: x\r\n\r\n");
    raw.pause();
    const reader = await SseClient.open(a.base, "/channel/stall");
    const remote = await SseClient.open(b.base, "/channel/stall");
    await waitFor(
      () => reader.named("shoal-ready").length === 1 && remote.named("shoal-ready").length === 1,
      "ready",
    );
    const big = "x".repeat(32_000);
    let sent = 0;
    let evicted = false;
    // Publish until the non-reader overflows the kernel's socket buffers and then its own bound.
    while (!evicted && sent < 2000) {
      for (let j = 0; j < 25; j++, sent++) {
        const res = await httpJson(a.base, "POST", "/channel/stall", { data: big });
        assert.equal(res.status, 200);
      }
      evicted = /shoal_evictions_total 1/.test(String((await httpJson(a.base, "GET", "/metrics")).body));
    }
    assert.ok(evicted, "the non-reader was evicted past its bound");
    await waitFor(
      () => reader.named().length === sent && remote.named().length === sent,
      "readers keep pace",
      30_000,
    );
    assert.equal((await httpJson(a.base, "GET", "/status")).status, 200);
    raw.destroy();
    await httpJson(a.base, "POST", "/channel/stall", { data: "after" });
    await waitFor(() => reader.named().length === sent + 1, "after it went away");
    assert.equal((await httpJson(a.base, "GET", "/status")).status, 200);
    reader.close();
    remote.close();
  });

  await t.test(
    "SIGKILL mid-stream: others keep receiving, nothing accepted by a live node is lost, resume elsewhere is exact",
    async () => {
      const onA = await SseClient.open(a.base, "/channel/k");
      const onB = await SseClient.open(b.base, "/channel/k");
      const onC = await SseClient.open(c.base, "/channel/k");
      await waitFor(() => [onA, onB, onC].every((s) => s.named("shoal-ready").length === 1), "ready");
      const accepted: string[] = [];
      let stop = false;
      let i = 0;
      const publisher = (async () => {
        while (!stop) {
          const target = i % 2 === 0 ? a : b;
          const data = `${target.name}:${i}`;
          i++;
          const res = await httpJson(target.base, "POST", "/channel/k", { data });
          if (res.status === 200) accepted.push(data);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await waitFor(() => onC.named().length >= 50, "c's subscriber is receiving");
      c.proc.kill("SIGKILL");
      await waitFor(() => c.exited, "c died");
      const seenOnC = onC.named().map((e) => e.data);
      const cursor = onC.lastEventId!;
      await waitFor(
        () => accepted.length >= seenOnC.length + 100,
        "publishing continues after the kill",
        30_000,
      );
      stop = true;
      await publisher;
      await waitFor(
        () => onA.named().length >= accepted.length && onB.named().length >= accepted.length,
        "a and b get everything",
        20_000,
      );
      // c's subscriber moves to a with its Last-Event-ID.
      const resumed = await SseClient.open(a.base, "/channel/k", { "Last-Event-ID": cursor });
      await waitFor(() => seenOnC.length + resumed.named().length >= accepted.length, "resume", 20_000);
      // Then an end marker from each publishing node. Delivery is in order per origin, so once a
      // stream has both markers, a duplicate of anything earlier would have reached it already.
      for (const p of [a, b]) {
        assert.equal((await httpJson(p.base, "POST", "/channel/k", { data: `end:${p.name}` })).status, 200);
      }
      const isEnd = (d: string) => d.startsWith("end:");
      const events = (s: SseClient) => s.named().map((e) => e.data);
      await waitFor(
        () => [onA, onB, resumed].every((s) => events(s).filter(isEnd).length >= 2),
        "end markers on every stream",
      );
      for (const s of [onA, onB, resumed]) {
        assert.equal(events(s).filter(isEnd).length, 2, "each end marker once");
        for (const origin of [a.name, b.name]) {
          const fromOrigin = events(s).filter((d) => d.startsWith(`${origin}:`) || d === `end:${origin}`);
          assert.equal(fromOrigin.at(-1), `end:${origin}`, `${origin}'s end marker comes last`);
        }
      }
      for (const s of [onA, onB]) {
        const got = events(s).filter((d) => !isEnd(d));
        assert.equal(new Set(got).size, got.length, "no duplicates");
        assert.deepEqual([...got].sort(), [...accepted].sort(), "every accepted event");
        for (const origin of [a.name, b.name]) {
          const seq = got.filter((d) => d.startsWith(`${origin}:`)).map((d) => Number(d.split(":")[1]));
          assert.deepEqual(
            seq,
            [...seq].sort((x, y) => x - y),
            `${origin} in order`,
          );
        }
      }
      const combined = [...seenOnC, ...events(resumed)].filter((d) => !isEnd(d));
      assert.equal(resumed.named("reset").length, 0);
      assert.equal(new Set(combined).size, combined.length, "no duplicates across the reconnect");
      assert.deepEqual([...combined].sort(), [...accepted].sort(), "exactly what it missed");
      for (const x of [onA, onB, onC, resumed]) x.close();
    },
  );

  await t.test(
    "SIGTERM: the node leaves gracefully, tells subscribers to reconnect, exits in bound",
    async () => {
      const sub = await SseClient.open(b.base, "/channel/bye");
      await waitFor(() => sub.named("shoal-ready").length === 1, "ready");
      const started = Date.now();
      b.proc.kill("SIGTERM");
      await waitFor(() => b.exited, "b exits", 15_000);
      assert.equal(b.exitCode, 0);
      assert.ok(Date.now() - started < 12_000);
      assert.equal(sub.ended, true);
      const bAddr = `127.0.0.1:${b.gossipPort}`;
      await waitForAsync(async () => !(bAddr in (await status(a)).gossip.members), "a sees b leave", 10_000);
      sub.close();
    },
  );
});

async function waitForAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

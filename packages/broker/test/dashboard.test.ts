/**
 * The dashboard without a browser: its page and files, its read-only snapshot stream, the
 * protection it shares with /status, its bounds, and what the snapshots say about members and
 * traffic (over an in-process cluster and over real gossip).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SignJWT } from "jose";
import { parseStartArgs } from "../src/cli/parse.ts";
import { metaText } from "../src/dashboard/members.ts";
import { RateSampler } from "../src/dashboard/rate.ts";
import type { DashboardSnapshot } from "../src/dashboard/snapshot.ts";
import { createLogger } from "../src/log.ts";
import { StaticCluster } from "../src/membership/static.ts";
import { type ShoalNode, startShoalNode } from "../src/node.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";

const SECRET = "dashboard-test-secret-long-enough-for-hs256";
const nodes: TestNode[] = [];
const clients: SseClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const n of nodes) await n.stop();
});

async function node(options: Parameters<typeof startNode>[0] = {}): Promise<TestNode> {
  const n = await startNode(options);
  nodes.push(n);
  return n;
}

async function watch(base: string, path = "/dashboard/events"): Promise<SseClient> {
  const c = await SseClient.open(base, path);
  clients.push(c);
  return c;
}

function snapshots(c: SseClient): DashboardSnapshot[] {
  return c.named("snapshot").map((e) => JSON.parse(e.data) as DashboardSnapshot);
}

function latest(c: SseClient): DashboardSnapshot | undefined {
  return snapshots(c).at(-1);
}

test("the page and its files are served at / and /dashboard/, locked down by CSP", async () => {
  const n = await node({ dashboard: true });
  const page = await fetch(`${n.base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  const html = await page.text();
  assert.match(html, /<title>Shoal dashboard<\/title>/);
  for (const [file, type] of [
    ["dashboard.js", /javascript/],
    ["dashboard.css", /text\/css/],
    ["favicon.svg", /svg/],
  ] as const) {
    assert.ok(html.includes(`dashboard/${file}`), `${file} is linked from the page`);
    const res = await fetch(`${n.base}/dashboard/${file}`);
    assert.equal(res.status, 200, file);
    assert.match(res.headers.get("content-type") ?? "", type);
    assert.ok((await res.arrayBuffer()).byteLength > 100);
  }
  assert.equal((await fetch(`${n.base}/?authorization=x`)).status, 200, "a query string is fine");
  assert.equal((await fetch(`${n.base}/dashboard/../../etc/passwd`)).status, 404);
  assert.equal((await fetch(`${n.base}/dashboard/index.html`)).status, 404);
  assert.equal((await fetch(`${n.base}/dashboard/nope.js`)).status, 404);
  const redirect = await fetch(`${n.base}/dashboard`, { redirect: "manual" });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get("location"), "/");
});

test("under a route prefix the dashboard moves with the broker's routes", async () => {
  const n = await node({ dashboard: true, prefix: "/events" });
  assert.equal((await fetch(`${n.base}/events/`)).status, 200);
  assert.equal((await fetch(`${n.base}/events/dashboard/dashboard.js`)).status, 200);
  assert.equal((await httpJson(n.base, "GET", "/events/dashboard/snapshot")).status, 200);
  assert.equal((await fetch(`${n.base}/`)).status, 404, "the app's own / is left alone");
  const redirect = await fetch(`${n.base}/events/dashboard?authorization=t`, { redirect: "manual" });
  assert.equal(redirect.headers.get("location"), "/events/?authorization=t");
});

test("the dashboard is read-only: nothing can be published through it", async () => {
  const n = await node({ dashboard: true });
  for (const path of ["/", "/dashboard/events", "/dashboard/snapshot", "/dashboard/x"]) {
    const res = await httpJson(n.base, "POST", path, { data: "sneaky" });
    assert.equal(res.status, 405, path);
  }
  assert.equal(n.broker.hub.counters.published, 0);
  assert.equal(n.broker.hub.channelCount, 0);
});

test("the dashboard is off unless asked for, so an embedding app keeps its own /", async () => {
  const n = await node();
  assert.equal(n.broker.dashboard, null);
  assert.equal((await fetch(`${n.base}/`)).status, 404);
  assert.equal((await fetch(`${n.base}/dashboard/events`)).status, 404);
});

test("snapshots stream live: members, channels with subscriber counts, totals, events per second", async () => {
  const cluster = new StaticCluster();
  const a = await node({ membership: cluster.join("a", "127.0.0.1:1"), dashboard: { intervalMs: 100 } });
  cluster.join("b", "127.0.0.1:2");
  const feed = await watch(a.base);
  assert.equal(feed.status, 200);
  assert.match(String(feed.headers["content-type"]), /^text\/event-stream/);
  await waitFor(() => snapshots(feed).length >= 1, "first snapshot");
  const first = latest(feed)!;
  assert.equal(first.node, "a");
  assert.deepEqual(
    first.members.map((m) => [m.name, m.state, m.local]),
    [
      ["a", "alive", true],
      ["b", "alive", false],
    ],
  );

  const sub1 = await SseClient.open(a.base, "/channel/news");
  const sub2 = await SseClient.open(a.base, "/channel/news?channel=sport");
  clients.push(sub1, sub2);
  for (let i = 0; i < 5; i++) a.broker.publish({ channel: "news", data: String(i) });
  await waitFor(() => {
    const s = latest(feed);
    return s !== undefined && s.totals.published === 5 && s.channels.length === 2;
  }, "a snapshot with the traffic");
  const s = latest(feed)!;
  assert.deepEqual(s.channels, [
    { name: "news", subscribers: 2 },
    { name: "sport", subscribers: 1 },
  ]);
  assert.equal(s.channelCount, 2);
  assert.equal(s.connections, 2);
  await waitFor(
    () => (latest(feed)?.rates ?? []).reduce((sum, r) => sum + r.events, 0) > 0,
    "the events to show in the per-second rates",
  );
  assert.ok(a.broker.dashboard!.streamCount >= 1);
});

test("a member that leaves stays in the picture as left, and the change is listed", async () => {
  const cluster = new StaticCluster();
  const a = await node({ membership: cluster.join("a", "127.0.0.1:1"), dashboard: { intervalMs: 50 } });
  const b = cluster.join("b", "127.0.0.1:2");
  const feed = await watch(a.base);
  await waitFor(() => latest(feed)?.members.length === 2, "both members");
  await b.leave(1000);
  await waitFor(() => latest(feed)?.members.find((m) => m.name === "b")?.state === "left", "b shown as left");
  const snap = latest(feed)!;
  const gone = snap.members.find((m) => m.name === "b")!;
  assert.equal(gone.reaped, true);
  assert.deepEqual(
    snap.changes.filter((c) => c.node === "b").map((c) => [c.type, c.state]),
    [
      ["join", "alive"],
      ["leave", "left"],
    ],
  );
});

test("the dashboard data is protected exactly when /status is", async () => {
  const admin = await new SignJWT({ shoal: { admin: true } })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(SECRET));
  const reader = await new SignJWT({ shoal: { subscribe: ["*"] } })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(SECRET));
  const guarded = await node({
    dashboard: true,
    auth: { key: SECRET, subscribeRequiresToken: true, protectStatus: true },
  });
  for (const path of ["/dashboard/events", "/dashboard/snapshot"]) {
    assert.equal((await httpJson(guarded.base, "GET", path)).status, 401, path);
    assert.equal((await httpJson(guarded.base, "GET", `${path}?authorization=${reader}`)).status, 403, path);
  }
  assert.equal((await httpJson(guarded.base, "GET", "/status")).status, 401, "same as /status");
  const ok = await httpJson(guarded.base, "GET", "/dashboard/snapshot", undefined, {
    Authorization: `Bearer ${admin}`,
  });
  assert.equal(ok.status, 200);
  const stream = await watch(guarded.base, `/dashboard/events?authorization=${admin}`);
  assert.equal(stream.status, 200);
  assert.equal((await fetch(`${guarded.base}/`)).status, 200, "the page itself holds no data");

  const open = await node({
    dashboard: true,
    auth: { key: SECRET, subscribeRequiresToken: true, protectStatus: false },
  });
  assert.equal((await httpJson(open.base, "GET", "/dashboard/snapshot")).status, 200);
});

test("dashboard streams are bounded in number", async () => {
  const n = await node({ dashboard: { maxStreams: 2 } });
  await watch(n.base);
  await watch(n.base);
  await waitFor(() => n.broker.dashboard!.streamCount === 2, "two streams");
  const third = await httpJson(n.base, "GET", "/dashboard/events");
  assert.equal(third.status, 503);
  clients[clients.length - 1]!.close();
  await waitFor(() => n.broker.dashboard!.streamCount === 1, "a stream closed");
  const again = await watch(n.base);
  assert.equal(again.status, 200);
});

test("metadata shows as text when printable, hex otherwise", () => {
  assert.equal(metaText(new TextEncoder().encode('{"p":8080}')), '{"p":8080}');
  assert.equal(metaText(new Uint8Array([0xff, 0x00, 0x10])), "ff0010");
  assert.equal(metaText(new TextEncoder().encode("a\u0007b")), "610762");
  assert.equal(metaText(new Uint8Array(0)), "");
});

test("rates are per real second, from cumulative counters", () => {
  let t = 1_000;
  let events = 0;
  let delivered = 0;
  const sampler = new RateSampler(
    () => ({ events, delivered }),
    3,
    () => t,
  );
  events = 10;
  delivered = 30;
  t += 2_000;
  assert.deepEqual(sampler.sample(), { time: 3_000, events: 5, delivered: 15 });
  for (let i = 0; i < 5; i++) {
    t += 1_000;
    events += 1;
    sampler.sample();
  }
  assert.equal(sampler.history().length, 3, "bounded");
  assert.deepEqual(
    sampler.history().map((s) => s.events),
    [1, 1, 1],
  );
});

test("over real gossip: incarnations, metadata, HTTP addresses and probe round trips", async () => {
  const started: ShoalNode[] = [];
  try {
    for (const name of ["g1", "g2"]) {
      const seeds = started.map((s) => `127.0.0.1:${s.gossipPort}`).join(",");
      const parsed = parseStartArgs(
        [
          "--node.name",
          name,
          "--bind.addr",
          "127.0.0.1",
          "--gossip.port",
          "0",
          "--http.server.port",
          "0",
          "--gossip.profile",
          "local",
          "--gossip.hosts",
          seeds,
        ],
        {},
      );
      if (!("config" in parsed)) throw new Error("unexpected help");
      started.push(await startShoalNode(parsed.config, createLogger("silent")));
    }
    const [g1, g2] = started as [ShoalNode, ShoalNode];
    const base = `http://127.0.0.1:${g1.httpPort}`;
    let snap: DashboardSnapshot | null = null;
    await waitFor(
      () => {
        snap = g1.broker.dashboard!.snapshot();
        return snap.members.find((m) => m.name === "g2")?.rttMs !== null && snap.members.length === 2;
      },
      "a probe round trip to g2",
      20_000,
    );
    const peer = snap!.members.find((m) => m.name === "g2")!;
    assert.equal(peer.state, "alive");
    assert.ok((peer.incarnation ?? 0) >= 1);
    assert.equal(peer.httpAddr, `127.0.0.1:${g2.httpPort}`);
    assert.equal(peer.meta, JSON.stringify({ p: g2.httpPort }));
    assert.ok(peer.rttMs! >= 0 && peer.rttMs! < 5_000);
    const self = snap!.members[0]!;
    assert.equal(self.name, "g1");
    assert.equal(self.local, true);
    const res = await httpJson(base, "GET", "/dashboard/snapshot");
    assert.equal(res.status, 200);
    assert.equal((res.body as DashboardSnapshot).node, "g1");
  } finally {
    for (const s of started.reverse()) await s.stop();
  }
});

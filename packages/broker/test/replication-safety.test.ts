/**
 * Replication on real loopback sockets: what a 2xx means (ack modes, 503), who may speak on the
 * replication plane (identity, sequence, handshake allowance, untrusted frame sizes), links that
 * end with their peer, and survivors that repair a departed origin for a node that joined later.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { BrokerOptions } from "../src/broker.ts";
import { type StaticCluster as Registry, StaticCluster } from "../src/membership/static.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";
import { freePort, RawLink } from "./link-helpers.ts";

const all: TestNode[] = [];
after(async () => {
  for (const n of all) await n.stop().catch(() => {});
});

/** A node named `name` in `registry`, on a fresh loopback port. */
async function member(registry: Registry, name: string, options: BrokerOptions = {}): Promise<TestNode> {
  const port = await freePort();
  const node = await startNode({ ...options, membership: registry.join(name, `127.0.0.1:${port}`) }, port);
  all.push(node);
  return node;
}

/** Stops a node and takes it out of the member list (a departure its peers learn at once). */
async function depart(node: TestNode): Promise<void> {
  await node.stop();
  await node.broker.membership.leave(100);
}

const connected = (n: TestNode, peers: number) =>
  n.broker.status().replication.filter((l) => l.connected).length === peers;
const inboundLinks = async (n: TestNode) =>
  Number(/^shoal_replication_inbound_links (\d+)$/m.exec(await n.broker.metrics())?.[1] ?? Number.NaN);

/** Polls an async condition until it holds (generous deadline, no fixed sleeps). */
async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("ack mode one: a POST answers 200 only once a peer holds the event, and 503 when none does in time", async () => {
  const registry = new StaticCluster();
  const a = await member(registry, "a", { ackTimeoutMs: 300 });
  // A member that never answers: its address has no listener.
  registry.join("ghost", `127.0.0.1:${await freePort()}`);
  const refused = await httpJson(a.base, "POST", "/channel/k", { data: "x" });
  assert.equal(refused.status, 503);
  const error = (refused.body as { error: { code: string; message: string } }).error;
  assert.equal(error.code, "ERR_NOT_REPLICATED");
  assert.match(error.message, /may still be delivered/);
  assert.match(await a.broker.metrics(), /^shoal_publish_ack_timeouts_total 1$/m);

  const local = await member(registry, "l", { ackMode: "local" });
  assert.equal((await httpJson(local.base, "POST", "/channel/k", { data: "y" })).status, 200);

  const r2 = new StaticCluster();
  const p = await member(r2, "p", { ackTimeoutMs: 5_000 });
  const q = await member(r2, "q");
  await waitFor(() => connected(p, 1) && connected(q, 1), "links up");
  for (let i = 0; i < 20; i++) {
    const res = await httpJson(p.base, "POST", "/channel/k", { data: String(i) });
    assert.equal(res.status, 200);
    const { origin, seq } = res.body as { origin: string; seq: number };
    assert.ok((q.broker.hub.applied.get(origin) ?? 0) >= seq, "the peer held it before the 200");
  }
});

test("ack mode all waits for every live member", async () => {
  const registry = new StaticCluster();
  const a = await member(registry, "a", { ackMode: "all", ackTimeoutMs: 5_000 });
  const b = await member(registry, "b");
  const c = await member(registry, "c");
  await waitFor(() => [a, b, c].every((n) => connected(n, 2)), "links up");
  const res = await httpJson(a.base, "POST", "/channel/k", { data: "x" });
  assert.equal(res.status, 200);
  const { origin, seq } = res.body as { origin: string; seq: number };
  for (const n of [b, c]) assert.equal(n.broker.hub.applied.get(origin), seq);
});

test("a link naming a member with another member's origin is refused; a forged seq cannot silence an origin", async () => {
  const registry = new StaticCluster();
  const a = await member(registry, "a");
  const b = await member(registry, "b");
  await waitFor(() => connected(a, 1) && connected(b, 1), "links up");
  const sub = await SseClient.open(b.base, "/channel/f");
  await waitFor(() => sub.named("shoal-ready").length === 1, "ready");

  // Without a key, from the members' host: claim to be "a" but speak for b's origin.
  const spoof = await RawLink.open(b.port);
  spoof.sendOpening();
  spoof.send({ t: "hello", node: "a", origin: b.broker.hub.origin });
  await waitFor(() => spoof.closed, "spoofed origin refused");

  // Claim to be "a" with a's own origin, and send one event with a huge seq.
  const forger = await RawLink.open(b.port);
  forger.sendOpening();
  forger.send({ t: "hello", node: "a", origin: a.broker.hub.origin });
  await waitFor(() => forger.received.length > 0, "welcome");
  forger.send({ t: "events", e: [[1e12, Date.now(), "f", "forged", null, null, null, null]] });
  await waitFor(() => forger.closed, "forged seq refused");
  assert.match(await b.broker.metrics(), /^shoal_replication_refused_total\{reason="sequence"\} 1$/m);
  assert.match(await b.broker.metrics(), /^shoal_replication_refused_total\{reason="identity"\} 1$/m);

  // The real a is heard: its link comes back if the forger displaced it, and its events arrive.
  await waitFor(() => connected(a, 1), "a's link");
  a.broker.publish({ channel: "f", data: "real" });
  await waitFor(() => sub.named().length === 1, "a's event delivered");
  assert.deepEqual(
    sub.named().map((e) => e.data),
    ["real"],
  );
  sub.close();
});

test("300 junk handshakes never keep a restarting member out, and never hold more than the allowance", async () => {
  const registry = new StaticCluster();
  const b = await member(registry, "b");
  let a = await member(registry, "a");
  await until(async () => connected(a, 1) && (await inboundLinks(b)) === 1, "links up");
  const junk: RawLink[] = [];
  for (let i = 0; i < 300; i++) junk.push(await RawLink.open(b.port));
  const held = await inboundLinks(b);
  assert.ok(held <= 32 + 1, `inbound links ${held} within the allowance`);
  await depart(a);
  a = await member(registry, "a");
  await waitFor(() => connected(a, 1), "the restarted member is admitted", 5_000);
  assert.match(
    await b.broker.metrics(),
    /^shoal_replication_refused_total\{reason="handshake_evicted"\} [1-9]\d*$/m,
  );
  for (const j of junk) j.destroy();
});

test("an untrusted link cannot announce a large frame: it is closed before anything is buffered", async () => {
  const registry = new StaticCluster();
  const b = await member(registry, "b");
  const link = await RawLink.open(b.port);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(16 * 1024 * 1024);
  link.write(Buffer.concat([head, Buffer.alloc(1000)]));
  // Well before any handshake timeout (3 s here, 10 s before): the announced size alone ends it.
  await waitFor(() => link.closed, "closed on the announced size", 2_000);
});

test("inbound links end when their peer's process goes away or the peer leaves: 20 restarts leave one link", async () => {
  const registry = new StaticCluster();
  const b = await member(registry, "b");
  let a = await member(registry, "a");
  await until(async () => connected(a, 1) && (await inboundLinks(b)) === 1, "first link");
  for (let i = 0; i < 20; i++) {
    await a.stop(); // its sockets close; the member list still names it until it leaves
    await until(async () => (await inboundLinks(b)) === 0, `restart ${i}: the link ended with its socket`);
    await a.broker.membership.leave(100);
    a = await member(registry, "a");
    await until(async () => connected(a, 1) && (await inboundLinks(b)) === 1, `restart ${i}: linked again`);
  }
  // A member that leaves the list (its process still up) loses its link too.
  await a.broker.membership.leave(100);
  await until(async () => (await inboundLinks(b)) === 0, "the departed member's link ended");
});

test("a node that joined after an origin departed repairs its events from a survivor and resumes a cursor exactly", async () => {
  const registry = new StaticCluster();
  const a = await member(registry, "a");
  const b = await member(registry, "b");
  await waitFor(() => connected(a, 1) && connected(b, 1), "links up");
  const first = await SseClient.open(a.base, "/channel/r");
  await waitFor(() => first.named("shoal-ready").length === 1, "ready");
  for (let i = 1; i <= 5; i++) a.broker.publish({ channel: "r", data: `a${i}` });
  await waitFor(() => first.named().length === 5, "first five");
  const cursor = first.lastEventId!;
  first.close();
  for (let i = 6; i <= 10; i++) a.broker.publish({ channel: "r", data: `a${i}` });
  await waitFor(() => b.broker.hub.applied.get(a.broker.hub.origin) === 10, "b holds all ten");
  await depart(a);
  const c = await member(registry, "c");
  const resumed = await SseClient.open(c.base, "/channel/r", { "Last-Event-ID": cursor });
  await waitFor(
    () => resumed.named().length >= 5 || resumed.named("reset").length > 0,
    "the missed events (or a reset), never silence",
  );
  assert.equal(resumed.named("reset").length, 0);
  // An end marker from b: once it is in, a duplicate of anything earlier would be in too.
  b.broker.publish({ channel: "r", data: "end" });
  await waitFor(() => resumed.named().some((e) => e.data === "end"), "end marker");
  assert.deepEqual(
    resumed.named().map((e) => e.data),
    ["a6", "a7", "a8", "a9", "a10", "end"],
  );
  resumed.close();
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinkProfile } from "../src/link-profile.ts";
import { Simulator } from "../src/simulator.ts";
import { addrOf, ProbeApp } from "./probe-app.ts";

const constant = (ms: number, loss = 0, duplicate = 0): LinkProfile => ({
  latency: { kind: "constant", ms },
  loss,
  duplicate,
});

function cluster(n: number, link: LinkProfile, seed = 1) {
  const s = new Simulator<ProbeApp>({ seed, link }, (ctx) => new ProbeApp(ctx));
  const nodes = Array.from({ length: n }, () => s.addNode());
  return { s, nodes };
}

test("nodes get distinct 10.x.y.z addresses and a datagram arrives after the link latency", async () => {
  const { s, nodes } = cluster(300, constant(2.5));
  const ips = new Set(nodes.map((n) => n.ip));
  assert.equal(ips.size, 300);
  for (const ip of ips) assert.match(ip, /^10\.\d+\.\d+\.([1-9]\d*)$/);
  assert.ok(!ips.has("10.0.0.0") && ![...ips].some((ip) => ip.endsWith(".255")));
  const [a, b] = nodes;
  s.at(10, () => a!.app!.send("hi", addrOf(b!)));
  await s.run(20);
  const got = b!.app!.received;
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], { at: 12.5, timestamp: 12.5, from: a!.ip, text: "hi" });
});

test("loss drops about the configured share and duplication delivers twice", async () => {
  const { s, nodes } = cluster(2, constant(1, 0.3, 0.2), 5);
  const [a, b] = nodes;
  const sent = 20000;
  s.at(1, () => {
    for (let i = 0; i < sent; i++) void a!.app!.send(`${i}`, addrOf(b!));
  });
  await s.run(10);
  const got = b!.app!.received.length;
  // Expected 0.7 * 1.2 * sent = 16800, with a standard deviation near 80.
  assert.ok(Math.abs(got - 16800) < 500, `received ${got}`);
  const distinct = new Set(b!.app!.received.map((r) => r.text)).size;
  assert.ok(Math.abs(distinct - 14840) < 400, `distinct ${distinct}`);
  assert.equal(a!.counters.packetsSent, sent);
  // An original is lost when every copy is: 0.3 * (0.8 + 0.2 * 0.3) = 0.258.
  assert.ok(Math.abs(a!.counters.packetsLost - 5160) < 400, `lost ${a!.counters.packetsLost}`);
});

test("jittered latency reorders datagrams; constant latency never does", async () => {
  for (const [link, expectReorder] of [
    [
      { latency: { kind: "exponential", baseMs: 0.1, meanMs: 1 }, loss: 0, duplicate: 0 } as LinkProfile,
      true,
    ],
    [constant(1), false],
  ] as const) {
    const { s, nodes } = cluster(2, link, 3);
    const [a, b] = nodes;
    s.every(0.1, () => void a!.app!.send(`${Math.round(s.now * 10)}`, addrOf(b!)), { untilMs: 20.05 });
    await s.run(50);
    const order = b!.app!.received.map((r) => Number(r.text));
    assert.equal(order.length, 200);
    const inversions = order.filter((x, i) => i > 0 && x < order[i - 1]!).length;
    assert.equal(inversions > 0, expectReorder, `inversions ${inversions}`);
  }
});

test("latency distributions: lognormal samples have the configured median above the base", async () => {
  const { s, nodes } = cluster(2, {
    latency: { kind: "lognormal", baseMs: 2, medianMs: 3, sigma: 0.5 },
    loss: 0,
    duplicate: 0,
  });
  const [a, b] = nodes;
  s.at(0, () => {
    for (let i = 0; i < 4001; i++) void a!.app!.send("x", addrOf(b!));
  });
  await s.run(1000);
  const lat = b!.app!.received.map((r) => r.at).sort((x, y) => x - y);
  assert.ok(lat[0]! > 2);
  assert.ok(Math.abs(lat[2000]! - 5) < 0.15, `median ${lat[2000]}`);
});

test("two-way and one-way partitions, then healing", async () => {
  const { s, nodes } = cluster(4, constant(1));
  const [a, b, c, d] = nodes;
  const p = s.partition([a!.id, b!.id], [c!.id, d!.id], { atMs: 5 });
  const q = s.partition([a!.id], [b!.id], { atMs: 5, oneWay: true });
  s.at(10, () => {
    void a!.app!.send("a->c", addrOf(c!));
    void c!.app!.send("c->a", addrOf(a!));
    void a!.app!.send("a->b", addrOf(b!));
    void b!.app!.send("b->a", addrOf(a!));
    void c!.app!.send("c->d", addrOf(d!));
  });
  p.heal(20);
  q.heal(20);
  s.at(30, () => {
    void a!.app!.send("a->c later", addrOf(c!));
    void a!.app!.send("a->b later", addrOf(b!));
  });
  await s.run(40);
  const texts = (n: typeof a) => n!.app!.received.map((r) => r.text);
  assert.deepEqual(texts(a), ["b->a"]);
  assert.deepEqual(texts(b), ["a->b later"]);
  assert.deepEqual(texts(c), ["a->c later"]);
  assert.deepEqual(texts(d), ["c->d"]);
});

test("an egress bandwidth cap serialises packets and a full queue drops them", async () => {
  const { s, nodes } = cluster(2, constant(1));
  const [a, b] = nodes;
  // 100,000 B/s: a 972-byte payload + 28 bytes of headers takes 10 ms on the wire.
  s.setBandwidth(a!.id, { egressBytesPerSec: 100000, maxQueueMs: 35 });
  const payload = "x".repeat(972);
  s.at(0, () => {
    for (let i = 0; i < 6; i++) void a!.app!.send(payload, addrOf(b!));
  });
  await s.run(200);
  assert.deepEqual(
    b!.app!.received.map((r) => Math.round(r.at * 1000) / 1000),
    [11, 21, 31, 41],
  );
  assert.equal(a!.counters.packetsLost, 2);
});

test("an ingress cap queues arrivals from many senders", async () => {
  const { s, nodes } = cluster(5, constant(1));
  const sink = nodes[4]!;
  s.setBandwidth(sink.id, { ingressBytesPerSec: 100000 });
  s.at(0, () => {
    for (let i = 0; i < 4; i++) void nodes[i]!.app!.send("y".repeat(972), addrOf(sink));
  });
  await s.run(200);
  assert.deepEqual(
    sink.app!.received.map((r) => Math.round(r.at)),
    [11, 21, 31, 41],
  );
});

test("bad link profiles are ConfigErrors", () => {
  assert.throws(() => cluster(1, constant(1, 1.5)), { code: "ERR_CONFIG" });
  assert.throws(() => cluster(1, constant(-1)), { code: "ERR_CONFIG" });
  const { s } = cluster(1, constant(1));
  assert.throws(
    () => s.setNodeLink(0, { latency: { kind: "uniform", minMs: 5, maxMs: 1 }, loss: 0, duplicate: 0 }),
    {
      code: "ERR_CONFIG",
    },
  );
  assert.throws(() => s.setBandwidth(0, { egressBytesPerSec: -1 }), { code: "ERR_CONFIG" });
  assert.throws(() => new Simulator({ seed: -1 }, () => ({})), { code: "ERR_CONFIG" });
});

test("a slow node gets its I/O late while the others do not", async () => {
  const { s, nodes } = cluster(3, constant(1));
  const [a, b, c] = nodes;
  s.slow(b!.id, { atMs: 5, durationMs: 100, delayMs: 40 });
  s.at(10, () => {
    void a!.app!.send("to slow", addrOf(b!));
    void a!.app!.send("to normal", addrOf(c!));
  });
  s.at(200, () => a!.app!.send("after", addrOf(b!)));
  await s.run(300);
  assert.deepEqual(
    b!.app!.received.map((r) => `${r.text}@${r.at}`),
    ["to slow@51", "after@201"],
  );
  assert.deepEqual(
    c!.app!.received.map((r) => `${r.text}@${r.at}`),
    ["to normal@11"],
  );
});

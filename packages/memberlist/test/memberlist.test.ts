import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, test } from "node:test";
import {
  ConfigError,
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  Keyring,
  type Memberlist,
  NetworkError,
  ShutdownError,
} from "../src/index.ts";
import { addrOf, localMember, stateOf, waitUntil } from "./helpers/cluster.ts";

const live: Memberlist[] = [];
async function member(name: string, extra: Parameters<typeof localMember>[1] = {}) {
  const m = await localMember(name, extra);
  live.push(m);
  return m;
}
after(async () => {
  await Promise.all(live.map((m) => m.shutdown()));
});

test("presets carry Go memberlist's exact numbers", () => {
  const lan = defaultLANConfig();
  assert.equal(lan.probeInterval, 1000);
  assert.equal(lan.probeTimeout, 500);
  assert.equal(lan.gossipInterval, 200);
  assert.equal(lan.gossipNodes, 3);
  assert.equal(lan.suspicionMult, 4);
  assert.equal(lan.suspicionMaxTimeoutMult, 6);
  assert.equal(lan.retransmitMult, 4);
  assert.equal(lan.pushPullInterval, 30_000);
  assert.equal(lan.tcpTimeout, 10_000);
  assert.equal(lan.indirectChecks, 3);
  assert.equal(lan.awarenessMaxMultiplier, 8);
  assert.equal(lan.gossipToTheDeadTime, 30_000);
  assert.equal(lan.udpBufferSize, 1400);
  assert.equal(lan.handoffQueueDepth, 1024);
  assert.equal(lan.bindPort, 7946);
  assert.equal(lan.protocolVersion, 2);
  assert.equal(lan.enableCompression, true);
  const wan = defaultWANConfig();
  assert.deepEqual(
    [
      wan.tcpTimeout,
      wan.suspicionMult,
      wan.pushPullInterval,
      wan.probeTimeout,
      wan.probeInterval,
      wan.gossipNodes,
      wan.gossipInterval,
      wan.gossipToTheDeadTime,
    ],
    [30_000, 6, 60_000, 3_000, 5_000, 4, 500, 60_000],
  );
  const local = defaultLocalConfig();
  assert.deepEqual(
    [
      local.tcpTimeout,
      local.indirectChecks,
      local.retransmitMult,
      local.suspicionMult,
      local.pushPullInterval,
      local.probeTimeout,
      local.probeInterval,
      local.gossipInterval,
      local.gossipToTheDeadTime,
      local.gossipNodes,
    ],
    [1_000, 1, 2, 3, 15_000, 200, 1_000, 100, 15_000, 3],
  );
});

test("invalid configs fail create with a ConfigError", async () => {
  const bad = [
    { name: "" },
    { protocolVersion: 6 },
    { protocolVersion: 0 },
    { secretKey: new Uint8Array(10) },
    { label: "x".repeat(256) },
    { probeInterval: -1 },
    { cidrsAllowed: ["10.0.0.0/99"] },
    { bindPort: 70000 },
    { delegate: { nodeMeta: () => new Uint8Array(513) } },
  ];
  for (const extra of bad) {
    await assert.rejects(localMember("x", extra), ConfigError, JSON.stringify(Object.keys(extra)));
  }
});

test("a port in use fails create with a ConfigError", async () => {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const port = sock.address().port;
  try {
    await assert.rejects(localMember("busy", { bindPort: port }), ConfigError);
  } finally {
    sock.close();
  }
});

test("three members join, see metadata, exchange messages, and update metadata", async () => {
  let metaB = "b1";
  const a = await member("api-a", { delegate: { nodeMeta: () => Buffer.from("a-meta") } });
  const b = await member("api-b", { delegate: { nodeMeta: () => Buffer.from(metaB) } });
  const c = await member("api-c");
  assert.equal(await b.join([addrOf(a)]), 1);
  assert.equal(await c.join([`api-b/${addrOf(b)}`]), 1);
  await waitUntil(() => [a, b, c].every((m) => m.numMembers() === 3), "3 members everywhere");
  assert.equal(Buffer.from(c.members().find((n) => n.name === "api-a")!.meta).toString(), "a-meta");

  const got: string[] = [];
  c.on("message", (m) => got.push(Buffer.from(m).toString()));
  const cNode = a.members().find((n) => n.name === "api-c")!;
  await a.sendReliable(cNode, Buffer.from("over-tcp"));
  await a.sendBestEffort(cNode, Buffer.from("over-udp"));
  await waitUntil(() => got.length === 2, "both messages");
  assert.deepEqual(got.sort(), ["over-tcp", "over-udp"]);

  const updates: string[] = [];
  a.on("update", (n) => updates.push(`${n.name}=${Buffer.from(n.meta)}`));
  metaB = "b2";
  await b.updateNode(5000);
  await waitUntil(() => updates.includes("api-b=b2"), "metadata update seen by a");
  assert.ok(b.localNode.incarnation >= 2);
  assert.ok((await a.ping("api-b", addrOf(b))) >= 0);
});

test("a graceful leave is seen as left, and a shut-down member as dead", async () => {
  const a = await member("lv-a");
  const b = await member("lv-b");
  const c = await member("lv-c");
  await b.join([addrOf(a)]);
  await c.join([addrOf(a)]);
  await waitUntil(() => [a, b, c].every((m) => m.numMembers() === 3), "3 members");
  const leaves: string[] = [];
  a.on("leave", (n) => leaves.push(`${n.name}:${n.state}`));
  await b.leave(5000);
  await waitUntil(() => stateOf(a, "lv-b") === "left" && stateOf(c, "lv-b") === "left", "b left everywhere");
  await c.shutdown();
  await waitUntil(() => stateOf(a, "lv-c") === "dead", "c dead at a", 20_000);
  assert.deepEqual(leaves, ["lv-b:left", "lv-c:dead"]);
  await b.shutdown();
  await assert.rejects(b.join([addrOf(a)]), ShutdownError);
});

test("join reports unreachable addresses with a NetworkError", async () => {
  const a = await member("nj-a");
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const deadPort = sock.address().port;
  sock.close();
  await assert.rejects(a.join([`127.0.0.1:${deadPort}`]), NetworkError);
  await assert.rejects(a.join(["/127.0.0.1:1"]), NetworkError);
});

test("encryption: same key joins; wrong key and no key are kept out", async () => {
  const key = Buffer.alloc(32, 7);
  const a = await member("enc-a", { secretKey: key });
  const b = await member("enc-b", { secretKey: key });
  assert.equal(a.encryptionEnabled, true);
  await b.join([addrOf(a)]);
  await waitUntil(() => a.numMembers() === 2 && b.numMembers() === 2, "encrypted pair");

  const wrong = await member("enc-wrong", { secretKey: Buffer.alloc(16, 9) });
  await assert.rejects(wrong.join([addrOf(a)]), NetworkError);
  const plain = await member("enc-none");
  await assert.rejects(plain.join([addrOf(a)]), NetworkError);
  assert.equal(a.numMembers(), 2);
});

test("keys rotate while the cluster runs", async () => {
  const k1 = Buffer.alloc(16, 1);
  const k2 = Buffer.alloc(16, 2);
  const a = await member("rot-a", { secretKey: k1 });
  const b = await member("rot-b", { keyring: new Keyring([], k1) });
  await b.join([addrOf(a)]);
  await waitUntil(() => a.numMembers() === 2, "pair");
  // Install everywhere, then switch primaries, then remove the old key: no step splits the cluster.
  a.keyring!.addKey(k2);
  b.keyring!.addKey(k2);
  a.keyring!.useKey(k2);
  b.keyring!.useKey(k2);
  a.keyring!.removeKey(k1);
  b.keyring!.removeKey(k1);
  const c = await member("rot-c", { secretKey: k2 });
  await c.join([addrOf(a)]);
  await waitUntil(() => [a, b, c].every((m) => m.numMembers() === 3), "3 members on the new key");
});

test("labels keep clusters apart", async () => {
  const a = await member("lbl-a", { label: "blue" });
  const b = await member("lbl-b", { label: "blue" });
  const c = await member("lbl-c", { label: "green" });
  await b.join([addrOf(a)]);
  await waitUntil(() => a.numMembers() === 2, "same label joins");
  await assert.rejects(c.join([addrOf(a)]), NetworkError);
});

test("joining a cluster where our name is taken fails with a ConfigError", async () => {
  const a = await member("clash-a");
  const b = await member("clash-b");
  await b.join([addrOf(a)]);
  const impostor = await member("clash-b");
  await assert.rejects(
    impostor.join([addrOf(a)]),
    (err: Error) => err instanceof ConfigError && /name clash/.test(err.message),
  );
  assert.equal(
    a.members().find((n) => n.name === "clash-b")?.port,
    b.localNode.port,
    "the original keeps its name",
  );
});

test("a restarted node whose old address is still suspect fails its join, and joins once it is dead", async () => {
  // The peer refuses our alive while it still suspects our previous run: a join that "worked"
  // then would leave this node believing it is a member the others do not know.
  const reclaim = { deadNodeReclaimTime: 1 };
  // The rejoin below must land while `a` still suspects the old run: 8 s of suspicion rather than the
  // local preset's 3 s, so that a loaded machine cannot let it run out first.
  const a = await member("reborn-a", { ...reclaim, suspicionMult: 8 });
  const b = await member("reborn-b", reclaim);
  await b.join([addrOf(a)]);
  await waitUntil(() => a.numMembers() === 2, "pair");
  await b.shutdown();
  await waitUntil(() => stateOf(a, "reborn-b") === "suspect", "the old run suspected");
  const reborn = await member("reborn-b", reclaim);
  await assert.rejects(
    reborn.join([addrOf(a)]),
    (err: Error) => err instanceof ConfigError && /name clash/.test(err.message),
  );
  await waitUntil(() => stateOf(a, "reborn-b") === "dead", "the old run declared dead");
  await reborn.join([addrOf(a)]);
  await waitUntil(
    () => a.members().find((n) => n.name === "reborn-b")?.port === reborn.localNode.port,
    "the peer knows the new run",
  );
});

test("members on IPv6 loopback", async (t) => {
  let a: Memberlist;
  try {
    a = await member("v6-a", { bindAddr: "::1" });
  } catch {
    t.skip("no IPv6 loopback on this machine");
    return;
  }
  const b = await member("v6-b", { bindAddr: "::1" });
  assert.equal(a.localNode.addr, "::1");
  await b.join([`[::1]:${a.localNode.port}`]);
  await waitUntil(() => a.numMembers() === 2 && b.numMembers() === 2, "IPv6 pair");
});

test("join resolves host names", async () => {
  const a = await member("dns-a");
  const b = await member("dns-b");
  assert.equal((await b.join([`localhost:${a.localNode.port}`])) >= 1, true);
  await waitUntil(() => a.numMembers() === 2, "joined through a host name");
});

test("cidrsAllowed keeps members from other networks out", async () => {
  const a = await member("cidr-a", { cidrsAllowed: ["127.0.0.1/32"] });
  const b = await member("cidr-b", { bindAddr: "127.0.0.2" });
  const c = await member("cidr-c");
  await c.join([addrOf(a)]);
  await b.join([addrOf(a)]);
  await waitUntil(() => a.numMembers() === 2, "c admitted");
  // b learns of a (b has no allow list), but a must never list b, whoever gossips about it.
  await waitUntil(() => c.members().some((n) => n.name === "cidr-b"), "c hears of b");
  // a pulls c's whole state, b included; when join resolves, a has merged it.
  await a.join([addrOf(c)]);
  assert.equal(
    a.members().some((n) => n.name === "cidr-b"),
    false,
  );
  assert.equal(
    c.members().some((n) => n.name === "cidr-b"),
    true,
  );
});

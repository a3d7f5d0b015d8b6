/**
 * Mixed clusters with the newest Go memberlist (v0.6, the prebuilt oracle; see interop/lib/oracle.ts):
 * the same scenario as against 0.2.2, keys, and what only v0.6 has — labels (same label joins; another
 * label or none is kept out; the SkipInboundLabelCheck migration aid) and the CRC that v0.6 puts on
 * every packet to a peer that speaks protocol 5. Skipped, loudly, when the oracle is absent.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  type Address,
  defaultLocalConfig,
  Memberlist,
  NetTransport,
  type Packet,
  silentLogger,
  type Transport,
} from "@shoal/memberlist";
import { ClusterNode, messageWith, type NodeKind, type NodeOptions } from "../lib/cluster-node.ts";
import { skipWithoutGo, skipWithoutOracle } from "./go-skip.ts";
import { mixedCluster, names, scenarioTimeoutMs, variants } from "./mixed-scenario.ts";

const skip = skipWithoutOracle(
  "interop/test/cluster-latest.test.ts",
  "Shoal in mixed clusters with Go memberlist v0.6 (labels, CRC)",
);
const started: ClusterNode[] = [];

async function start(kind: NodeKind, opts: NodeOptions): Promise<ClusterNode> {
  const n = await ClusterNode.start(kind, opts);
  started.push(n);
  return n;
}

/** Asks `n` to join `target`; resolves with the error text, or null when the join worked. */
async function joinError(n: ClusterNode, target: ClusterNode): Promise<string | null> {
  const r = await n.command({ cmd: "join", addrs: [target.addr] });
  return r.error === null || r.error === undefined ? null : String(r.error);
}

describe("mixed clusters with Go memberlist v0.6", { skip }, () => {
  after(async () => {
    await Promise.all(started.map((n) => n.kill()));
  });

  for (const v of variants) {
    test(
      `join, metadata, messages, push/pull state, leave, failure, restart — ${v.title}`,
      { timeout: scenarioTimeoutMs },
      () => mixedCluster("go-latest", v, start),
    );
  }

  test("a rolling upgrade: Go 0.2.2, Go v0.6 and Shoal in one cluster, messages every way", {
    skip: skipWithoutGo("interop/test/cluster-latest.test.ts", "a cluster of both Go versions and Shoal"),
  }, async () => {
    const old = await start("go", { name: "ru-go022" });
    const latest = await start("go-latest", { name: "ru-go06" });
    const ts = await start("shoal", { name: "ru-ts" });
    assert.equal(await ts.join([old.addr]), 1);
    assert.equal(await latest.join([ts.addr]), 1);
    const all = [old, latest, ts];
    for (const n of all) await n.waitForMembers((m) => m.length === 3, 15_000, "3 members");
    for (const from of all) {
      for (const to of all) {
        if (from === to) continue;
        const text = `${from.name}->${to.name}`;
        await from.sendBestEffort(to.name, text);
        await to.waitForEvent(messageWith(text), 10_000, text);
      }
    }
    await Promise.all(all.map((n) => n.stop()));
  });

  test("a node with a wrong key or no key is kept out of an encrypted v0.6 cluster", async () => {
    const key = Buffer.alloc(16, 1).toString("base64");
    const go = await start("go-latest", { name: "lk-go", key });
    const ts = await start("shoal", { name: "lk-ts", key });
    assert.equal(await ts.join([go.addr]), 1);
    const wrong = await start("shoal", { name: "lk-wrong", key: Buffer.alloc(16, 2).toString("base64") });
    const none = await start("shoal", { name: "lk-none" });
    const goWrong = await start("go-latest", {
      name: "lk-gowrong",
      key: Buffer.alloc(24, 3).toString("base64"),
    });
    for (const [n, target] of [
      [wrong, go],
      [none, go],
      [goWrong, ts],
    ] as const) {
      assert.notEqual(await joinError(n, target), null, `${n.name} must not join`);
    }
    assert.deepEqual(names(await go.members()), ["lk-go", "lk-ts"]);
    assert.deepEqual(names(await ts.members()), ["lk-go", "lk-ts"]);
    await Promise.all([go, ts, wrong, none, goWrong].map((n) => n.stop()));
  });

  test("labels: nodes with the same label join both ways and gossip; encrypted too", async () => {
    for (const key of [undefined, Buffer.alloc(32, 7).toString("base64")]) {
      const tag = key ? "e" : "p";
      const go = await start("go-latest", { name: `lab-go-${tag}`, label: "blue", ...(key ? { key } : {}) });
      const ts = await start("shoal", { name: `lab-ts-${tag}`, label: "blue", ...(key ? { key } : {}) });
      const go2 = await start("go-latest", {
        name: `lab-go2-${tag}`,
        label: "blue",
        ...(key ? { key } : {}),
      });
      assert.equal(await ts.join([go.addr]), 1, "Shoal joins a labelled Go node");
      assert.equal(await go2.join([ts.addr]), 1, "a labelled Go node joins through Shoal");
      for (const n of [go, ts, go2]) await n.waitForMembers((m) => m.length === 3, 15_000, "3 members");
      await go.sendBestEffort(ts.name, `udp-${tag}`);
      await ts.waitForEvent(messageWith(`udp-${tag}`), 10_000, "labelled UDP go->ts");
      await ts.sendReliable(go2.name, `tcp-${tag}`);
      await go2.waitForEvent(messageWith(`tcp-${tag}`), 10_000, "labelled TCP ts->go2");
      await Promise.all([go, ts, go2].map((n) => n.stop()));
    }
  });

  test("labels: another label, or none, is kept out in both directions", async () => {
    const go = await start("go-latest", { name: "lx-go", label: "blue" });
    const ts = await start("shoal", { name: "lx-ts", label: "blue" });
    const tsRed = await start("shoal", { name: "lx-ts-red", label: "red" });
    const tsNone = await start("shoal", { name: "lx-ts-none" });
    const goRed = await start("go-latest", { name: "lx-go-red", label: "red" });
    const goNone = await start("go-latest", { name: "lx-go-none" });
    for (const [n, target] of [
      [tsRed, go],
      [tsNone, go],
      [goRed, ts],
      [goNone, ts],
    ] as const) {
      assert.notEqual(await joinError(n, target), null, `${n.name} must not join ${target.name}`);
    }
    assert.deepEqual(names(await go.members()), ["lx-go"]);
    assert.deepEqual(names(await ts.members()), ["lx-ts"]);
    await Promise.all([go, ts, tsRed, tsNone, goRed, goNone].map((n) => n.stop()));
  });

  test("SkipInboundLabelCheck: a labelled node still takes unlabelled joins, and refuses labelled ones", async () => {
    // The migration aid, as v0.6 implements it: inbound traffic must carry no label header (the
    // configured label is still the AD), so a node being labelled keeps accepting the unlabelled
    // cluster's joins. Same rule on both sides.
    const goSkip = await start("go-latest", { name: "sk-go", label: "blue", skipInboundLabelCheck: true });
    const tsSkip = await start("shoal", { name: "sk-ts", label: "blue", skipInboundLabelCheck: true });
    const tsPlain = await start("shoal", { name: "sk-ts-plain" });
    const goPlain = await start("go-latest", { name: "sk-go-plain" });
    assert.equal(await joinError(tsPlain, goSkip), null, "unlabelled Shoal joins a skipping Go node");
    assert.equal(await joinError(goPlain, tsSkip), null, "unlabelled Go joins a skipping Shoal node");
    const tsBlue = await start("shoal", { name: "sk-ts-blue", label: "blue" });
    const goBlue = await start("go-latest", { name: "sk-go-blue", label: "blue" });
    assert.notEqual(
      await joinError(tsBlue, goSkip),
      null,
      "a labelled header is refused by Go under the skip",
    );
    assert.notEqual(await joinError(goBlue, tsSkip), null, "and by Shoal under the skip");
    await Promise.all([goSkip, tsSkip, tsPlain, goPlain, tsBlue, goBlue].map((n) => n.stop()));
  });

  test("CRC: v0.6 and Shoal wrap packets in a CRC to a protocol-5 peer, and each accepts the other's", async () => {
    const go = await start("go-latest", { name: "crc-go" });
    const inbound: number[] = [];
    const outbound: number[] = [];
    const net = await NetTransport.create({ bindAddr: "127.0.0.1", bindPort: 0 });
    // A transport that notes the first byte of every datagram each way (no label, no key: it is the
    // message type, 12 for a CRC wrapper) and otherwise is the real one.
    const recording: Transport = {
      get bindPort() {
        return net.bindPort;
      },
      finalAdvertiseAddr: (ip, port) => net.finalAdvertiseAddr(ip, port),
      writeTo: (buf: Uint8Array, addr: Address) => {
        outbound.push(buf[0]!);
        return net.writeTo(buf, addr);
      },
      dial: (addr, timeoutMs) => net.dial(addr, timeoutMs),
      setPacketHandler: (handler: (p: Packet) => void) =>
        net.setPacketHandler((p) => {
          inbound.push(p.buf[0]!);
          handler(p);
        }),
      setStreamHandler: (handler) => net.setStreamHandler(handler),
      resolve: (host) => net.resolve(host),
      shutdown: () => net.shutdown(),
    };
    const ml = await Memberlist.create({
      ...defaultLocalConfig(),
      name: "crc-ts",
      bindAddr: "127.0.0.1",
      transport: recording,
      logger: silentLogger,
      enableCompression: false,
      // Only UDP may answer a probe here: a TCP fallback would hide a ping that Go dropped.
      disableTcpPings: true,
    });
    const crc = 12;
    try {
      assert.equal(await ml.join([go.addr]), 1);
      // Go wraps its gossip (not its pings and acks, whose destination it looks up by IP and misses:
      // memberlist-wire.md §4.3); Shoal wraps everything to a node it knows speaks protocol 5. Wait
      // for both, and for a few probe rounds each way, which only succeed if the CRCs verify.
      const deadline = Date.now() + 20_000;
      while (
        (!inbound.includes(crc) || outbound.filter((b) => b === crc).length < 5) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(inbound.includes(crc), `v0.6 sent CRC-wrapped packets: ${inbound.join(",")}`);
      assert.ok(
        outbound.length >= 5 && outbound.every((b) => b === crc),
        `every datagram to v0.6 is CRC-wrapped: ${outbound.join(",")}`,
      );
      assert.equal(ml.healthScore, 0, "every probe of Go was acked");
      assert.equal(ml.members().find((m) => m.name === "crc-go")?.state, "alive");
      assert.deepEqual(names(await go.members()), ["crc-go", "crc-ts"]);
    } finally {
      await ml.shutdown();
      await go.stop();
    }
  });
});

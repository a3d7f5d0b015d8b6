/**
 * Mixed clusters on loopback: Go nodes (Debian's memberlist 0.2.2) and Shoal nodes, each in its own
 * process, must behave as one cluster in both directions.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ClusterNode, messageWith, type NodeKind, type NodeOptions } from "../lib/cluster-node.ts";
import { skipWithoutGo } from "./go-skip.ts";
import { mixedCluster, names, scenarioTimeoutMs, variants } from "./mixed-scenario.ts";

const skip = skipWithoutGo("interop/test/cluster.test.ts", "Shoal in a mixed cluster with Go nodes");
const started: ClusterNode[] = [];

async function start(kind: NodeKind, opts: NodeOptions): Promise<ClusterNode> {
  const n = await ClusterNode.start(kind, opts);
  started.push(n);
  return n;
}

describe("mixed Go and Shoal clusters", { skip }, () => {
  after(async () => {
    await Promise.all(started.map((n) => n.kill()));
  });

  for (const v of variants) {
    test(
      `join, metadata, messages, push/pull state, leave, failure, restart — ${v.title}`,
      { timeout: scenarioTimeoutMs },
      () => mixedCluster("go", v, start),
    );
  }

  test("a node with a wrong key or no key is kept out of an encrypted cluster", async () => {
    const key = Buffer.alloc(16, 1).toString("base64");
    const go = await start("go", { name: "k-go", key });
    const ts = await start("shoal", { name: "k-ts", key });
    assert.equal(await ts.join([go.addr]), 1);
    const wrong = await start("shoal", { name: "k-wrong", key: Buffer.alloc(16, 2).toString("base64") });
    const none = await start("shoal", { name: "k-none" });
    const goWrong = await start("go", { name: "k-gowrong", key: Buffer.alloc(24, 3).toString("base64") });
    for (const [n, target] of [
      [wrong, go],
      [none, go],
      [goWrong, ts],
    ] as const) {
      const r = await n.command({ cmd: "join", addrs: [target.addr] });
      assert.notEqual(r.error, null, `${n.name} must not join`);
    }
    assert.deepEqual(names(await go.members()), ["k-go", "k-ts"]);
    assert.deepEqual(names(await ts.members()), ["k-go", "k-ts"]);
    await Promise.all([go, ts, wrong, none, goWrong].map((n) => n.stop()));
  });

  for (const protocol of [2, 3, 4, 5]) {
    test(`protocol version ${protocol} on both sides: join and gossip`, async () => {
      const go = await start("go", { name: `pv${protocol}-go`, protocol, compression: protocol % 2 === 0 });
      const ts = await start("shoal", {
        name: `pv${protocol}-ts`,
        protocol,
        compression: protocol % 2 === 1,
      });
      assert.equal(await ts.join([go.addr]), 1);
      const m = await go.waitForMembers((x) => x.length === 2, 10_000, "2 members");
      assert.equal(m.find((x) => x.name === ts.name)?.pcur, protocol);
      await go.broadcast(`go-pv${protocol}`);
      await ts.waitForEvent(messageWith(`go-pv${protocol}`), 10_000, "broadcast go->ts");
      await ts.broadcast(`ts-pv${protocol}`);
      await go.waitForEvent(messageWith(`ts-pv${protocol}`), 10_000, "broadcast ts->go");
      await Promise.all([go.stop(), ts.stop()]);
    });
  }
});

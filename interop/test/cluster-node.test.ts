/**
 * Self-test of the node driver, for each kind of node on its own: two nodes join, exchange user
 * messages, state and meta through every convenience of ClusterNode, and one notices when the other is
 * killed. Skipped, loudly, without Go.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterNode, joinOf, messageWith, type NodeKind } from "../lib/cluster-node.ts";
import { skipWithoutGo } from "./go-skip.ts";

const skip = skipWithoutGo("interop/test/cluster-node.test.ts", "the node driver");
const names = (ms: { name: string }[]): string[] => ms.map((m) => m.name).sort();

for (const kind of ["go", "shoal"] as const satisfies NodeKind[]) {
  test(`two ${kind} nodes join, exchange messages, state and meta; a SIGKILLed one is declared dead`, {
    skip,
  }, async (t) => {
    const nodes: ClusterNode[] = [];
    t.after(() => Promise.all(nodes.map((n) => n.kill())));
    const a = await ClusterNode.start(kind, { name: `${kind}-a`, localState: "state-of-a", meta: "role=a" });
    nodes.push(a);
    const b = await ClusterNode.start(kind, { name: `${kind}-b` });
    nodes.push(b);
    assert.ok(a.port > 0 && b.port > 0 && a.port !== b.port);
    assert.equal(a.addr, `127.0.0.1:${a.port}`);

    // State set after start is what the join's push/pull carries.
    await b.setLocalState("state-of-b");
    assert.equal(await b.join([a.addr]), 1);
    const both = [a.name, b.name].sort();
    assert.deepEqual(names(await a.waitForMembers((ms) => ms.length === 2, 15_000, "2 members")), both);
    const seenByB = await b.waitForMembers((ms) => ms.length === 2, 15_000, "2 members");
    assert.deepEqual(names(seenByB), both);
    assert.equal(seenByB.find((m) => m.name === a.name)?.meta, "role=a");

    // The push/pull of the join carried each side's user state, flagged as a join.
    const merged = await b.waitForEvent((e) => e.event === "merge-remote-state", 15_000, "a's state");
    assert.deepEqual([merged.data, merged.join], ["state-of-a", true]);
    const mergedAtA = await a.waitForEvent((e) => e.event === "merge-remote-state", 15_000, "b's state");
    assert.deepEqual([mergedAtA.data, mergedAtA.join], ["state-of-b", true]);

    await a.sendReliable(b.name, "over tcp");
    await b.waitForEvent(messageWith("over tcp"), 15_000, "reliable message");
    await b.sendBestEffort(a.name, "over udp");
    await a.waitForEvent(messageWith("over udp"), 15_000, "best-effort message");
    await a.broadcast("gossiped");
    await b.waitForEvent(messageWith("gossiped"), 15_000, "broadcast");
    await assert.rejects(a.sendReliable("nobody", "lost"), /no live member named/);

    await a.updateMeta("role=a2");
    await b.waitForEvent(
      (e) => e.event === "update" && (e.node as { meta: string }).meta === "role=a2",
      15_000,
      "meta update",
    );

    // `since` looks only at later events: b's join is in a's history, and no join comes after it.
    await a.waitForEvent(joinOf(b.name), 1_000, "b's join");
    await assert.rejects(a.waitForEvent(joinOf(b.name), 300, "a later join", a.events.length), /timed out/);

    const since = a.events.length;
    await b.kill();
    const left = await a.waitForEvent((e) => e.event === "leave", 30_000, "b's death", since);
    assert.equal((left.node as { name: string }).name, b.name);
    assert.deepEqual(names(await a.waitForMembers((ms) => ms.length === 1, 15_000, "1 member")), [a.name]);
    assert.equal((await a.health()).members, 1);
    await assert.rejects(b.command({ cmd: "health" }, 1_000), /exited/);

    await a.stop();
    assert.ok(a.exited);
    assert.equal(a.events.at(-1)?.event, "shutdown");
  });
}

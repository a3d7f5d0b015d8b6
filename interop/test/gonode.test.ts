/**
 * Self-test of the live Go node harness: two real Go memberlist 0.2.2 nodes join, exchange user
 * messages, state and meta, and one notices when the other is killed. Skipped, loudly, without Go.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { goAvailable } from "../lib/go.ts";
import { GoNode } from "../lib/gonode.ts";

const skip = goAvailable()
  ? false
  : "Go or Debian's memberlist 0.2.2 is not installed (apt: golang-go golang-github-hashicorp-memberlist-dev): " +
    "the live Go node harness was NOT checked";
if (skip) console.warn(`\n*** interop/test/gonode.test.ts SKIPPED: ${skip} ***\n`);

test("two live Go nodes join, exchange messages, state and meta; a SIGKILLed one is declared dead", {
  skip,
}, async (t) => {
  const nodes: GoNode[] = [];
  t.after(() => Promise.all(nodes.map((n) => n.kill())));
  const a = await GoNode.start({ name: "go-a", localState: "state-of-a", meta: "role=a" });
  nodes.push(a);
  const b = await GoNode.start({ name: "go-b", localState: "state-of-b" });
  nodes.push(b);
  assert.ok(a.port > 0 && b.port > 0 && a.port !== b.port);

  assert.equal(await b.join([a.address]), 1);
  const names = (ms: { name: string }[]): string[] => ms.map((m) => m.name).sort();
  assert.deepEqual(names(await a.waitForMembers((ms) => ms.length === 2)), ["go-a", "go-b"]);
  const seenByB = await b.waitForMembers((ms) => ms.length === 2);
  assert.deepEqual(names(seenByB), ["go-a", "go-b"]);
  assert.equal(seenByB.find((m) => m.name === "go-a")?.meta, "role=a");

  // The push/pull of the join carried each side's user state, flagged as a join.
  const merged = await b.waitFor((e) => e.event === "merge-remote-state");
  assert.deepEqual([merged.data, merged.join], ["state-of-a", true]);
  const mergedAtA = await a.waitFor((e) => e.event === "merge-remote-state");
  assert.deepEqual([mergedAtA.data, mergedAtA.join], ["state-of-b", true]);

  await a.sendReliable("go-b", "over tcp");
  await b.waitFor((e) => e.event === "message" && e.data === "over tcp");
  await b.sendBestEffort("go-a", "over udp");
  await a.waitFor((e) => e.event === "message" && e.data === "over udp");
  await a.broadcast("gossiped");
  await b.waitFor((e) => e.event === "message" && e.data === "gossiped");

  await a.updateMeta("role=a2");
  await b.waitFor((e) => e.event === "update" && (e.node as { meta: string }).meta === "role=a2");

  const since = a.events.length;
  await b.kill();
  const left = await a.waitFor((e) => e.event === "leave", 30_000, since);
  assert.equal((left.node as { name: string }).name, "go-b");
  assert.deepEqual(names(await a.waitForMembers((ms) => ms.length === 1)), ["go-a"]);
  assert.equal((await a.health()).members, 1);

  await a.stop();
  assert.ok(a.exited);
  assert.equal(a.events.at(-1)?.event, "shutdown");
});

/**
 * A `reset` tells a resuming client that it missed events that are gone. The cursor it is given
 * after the reset (its `shoal-ready` id) must be past what the reset announced: otherwise that id
 * still claims the client waits for those events, and every later resume is told again.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { decodeCursor } from "../src/core/cursor.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
});

async function node(opts: Parameters<typeof startNode>[0] = {}): Promise<TestNode> {
  const n = await startNode(opts);
  nodes.push(n);
  return n;
}

/** Opens a stream on `channel` with `cursor`, waits for its ready event, closes it. */
async function resume(
  base: string,
  channel: string,
  cursor: string,
): Promise<{ resets: string[]; ready: string }> {
  const c = await SseClient.open(base, `/channel/${channel}`, { "Last-Event-ID": cursor });
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  c.close();
  return {
    resets: c.named("reset").map((e) => JSON.parse(e.data).reason),
    ready: c.named("shoal-ready")[0]!.id!,
  };
}

test("after a reset for events replication lost, the cursor is past them: the next resume is not told again", async () => {
  const n = await node();
  const start = await resume(n.base, "l", "c");
  assert.equal((await httpJson(n.base, "POST", "/channel/l", { data: "kept" })).status, 200);
  // Replication gave up on seqs up to 7 of a departed origin: nobody holds them any more.
  n.broker.hub.noteLost("GoneOrg1", 7);
  const first = await resume(n.base, "l", start.ready);
  assert.deepEqual(first.resets, ["events-lost"]);
  assert.equal(decodeCursor(first.ready)?.get("GoneOrg1"), 7, "the ready cursor covers the loss");
  const second = await resume(n.base, "l", first.ready);
  assert.deepEqual(second.resets, [], "the same loss is not announced twice");
});

test("after a reset for evicted history, the cursor is past what was evicted", async () => {
  const n = await node({ historyMaxTotalBytes: 64 * 1024 });
  const start = await resume(n.base, "a", "c");
  const big = "x".repeat(20 * 1024);
  // a's only event, then three more elsewhere: the node-wide cap evicts a's.
  for (const ch of ["a", "b", "c", "d"])
    assert.equal((await httpJson(n.base, "POST", `/channel/${ch}`, { data: big })).status, 200);
  assert.equal(n.broker.hub.historyBudget.events, 3);
  const first = await resume(n.base, "a", start.ready);
  assert.deepEqual(first.resets, ["history-exceeded"]);
  const second = await resume(n.base, "a", first.ready);
  assert.deepEqual(second.resets, [], "the same eviction is not announced twice");
});

test("after the whole cluster restarted, a cursor of the previous run gets reset first (its history died)", async () => {
  const before = await startNode();
  const c = await SseClient.open(before.base, "/channel/r");
  await waitFor(() => c.named("shoal-ready").length === 1, "ready");
  for (let i = 1; i <= 3; i++) await httpJson(before.base, "POST", "/channel/r", { data: `old-${i}` });
  await waitFor(() => c.named().length === 3, "3 events");
  c.close();
  // The client had seen only the first when it lost its connection; then every node restarted.
  const cursor = c.named()[0]!.id!;
  await before.stop();
  const n = await node();
  assert.equal((await httpJson(n.base, "POST", "/channel/r", { data: "new-1" })).status, 200);
  const again = await SseClient.open(n.base, "/channel/r", { "Last-Event-ID": cursor });
  await waitFor(() => again.named().length === 1, "the new run's event");
  again.close();
  assert.deepEqual(
    again.named("reset").map((e) => JSON.parse(e.data).reason),
    ["unknown-origin"],
    "old-2 and old-3 are gone: reset, not silence",
  );
  assert.deepEqual(
    again.named().map((e) => e.data),
    ["new-1"],
  );
});

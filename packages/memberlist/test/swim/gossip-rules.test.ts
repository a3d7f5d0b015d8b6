/**
 * The rules of gossip and push/pull target selection, one test each (Go's TestMemberList_Gossip,
 * GossipToDead, PushPull target choice), on a fake runtime and a recording transport.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gossip, pushPullTick, sendToAllLive } from "../../src/swim/gossip.ts";
import { aliveNode, deadNode, suspectNode } from "../../src/swim/state.ts";
import { MessageType } from "../../src/wire/index.ts";
import { type Harness, harness, hostFor } from "./harness.ts";

/** Destination names of what was sent since the last call, sorted. */
function sentTo(h: Harness): string[] {
  const byHost = new Map([...["a", "b", "c", "d", "e", "me"]].map((n) => [hostFor(n), n]));
  return [...new Set(h.tr.sent.splice(0).map((s) => byHost.get(s.to.host) ?? s.to.host))].sort();
}

function cluster(names: string[], config = {}): Harness {
  const h = harness(config);
  for (const n of names) aliveNode(h.e, h.alive(n, 1), null, false);
  h.takeQueued();
  h.events.length = 0;
  return h;
}

describe("gossip", () => {
  it("Gossip: queued news goes to up to gossipNodes members, never to ourselves", () => {
    const h = cluster(["a", "b", "c", "d", "e"], { gossipNodes: 3 });
    deadNode(h.e, { incarnation: 1, node: "e", from: "x" }); // queues news about e
    gossip(h.e);
    const to = sentTo(h);
    assert.equal(to.length, 3);
    assert.ok(!to.includes("me"));
    const again = harness({ gossipNodes: 10 });
    for (const n of ["a", "b"]) aliveNode(again.e, again.alive(n, 1), null, false);
    gossip(again.e);
    assert.deepEqual(sentTo(again), ["a", "b"], "no more targets than members");
  });

  it("nothing queued and no user broadcasts: no packet at all", () => {
    const h = cluster(["a", "b"]);
    gossip(h.e);
    assert.deepEqual(h.tr.sent, []);
  });

  it("GossipToDead: a member dead for less than gossipToTheDeadTime still hears gossip; later not", () => {
    const h = cluster(["a"], { gossipToTheDeadTime: 1_000, gossipNodes: 5 });
    deadNode(h.e, { incarnation: 1, node: "a", from: "x" });
    gossip(h.e);
    assert.deepEqual(sentTo(h), ["a"], "recently dead: it may refute");
    h.rt.advance(1_001);
    suspectNode(h.e, { incarnation: 9, node: "me", from: "x" }); // more news to send
    gossip(h.e);
    assert.deepEqual(sentTo(h), []);
  });

  it("a member that left is never a gossip target", () => {
    const h = cluster(["a"], { gossipNodes: 5 });
    deadNode(h.e, { incarnation: 1, node: "a", from: "a" });
    gossip(h.e);
    assert.deepEqual(sentTo(h), []);
  });

  it("news is sent retransmitMult × ceil(log10(n + 1)) times, then dropped", () => {
    // Three members: ceil(log10 4) = 1, so 4 transmissions with the LAN preset's retransmitMult.
    const h = cluster(["a", "b"], { gossipNodes: 1 });
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    let sends = 0;
    for (let i = 0; i < 10; i++) {
      gossip(h.e);
      sends += h.tr.sent.splice(0).length;
    }
    assert.equal(sends, 4);
    assert.equal(h.e.broadcasts.numQueued(), 0);
  });

  it("user broadcasts from the delegate ride along, as user messages", () => {
    const h = cluster(["a"], { delegate: { getBroadcasts: () => [Uint8Array.of(7, 7)] } });
    gossip(h.e);
    const got = h.takeSent().map((s) => s.msg);
    assert.deepEqual(
      got.map((m) => m.type),
      [MessageType.User],
    );
    assert.deepEqual([...(got[0]?.type === MessageType.User ? got[0].body : [])], [7, 7]);
  });

  it("sendToAllLive reaches alive and suspect members, not the dead, the left or ourselves", () => {
    const h = cluster(["a", "b", "c", "d"]);
    suspectNode(h.e, { incarnation: 1, node: "b", from: "x" });
    deadNode(h.e, { incarnation: 1, node: "c", from: "x" });
    deadNode(h.e, { incarnation: 1, node: "d", from: "d" });
    sendToAllLive(h.e, { type: MessageType.User, body: Uint8Array.of(1) });
    assert.deepEqual(sentTo(h), ["a", "b"]);
  });
});

describe("push/pull", () => {
  it("the periodic push/pull picks an alive member only", async () => {
    const h = cluster(["a", "b"]);
    suspectNode(h.e, { incarnation: 1, node: "b", from: "x" });
    for (let i = 0; i < 10; i++) pushPullTick(h.e);
    await new Promise((r) => setImmediate(r));
    // Go's kRandomNodes draws at most 3n times, so a tick may rarely find no one; most find a.
    assert.ok(h.tr.dials.length >= 5, `${h.tr.dials.length} push/pulls in 10 ticks`);
    assert.ok(h.tr.dials.every((d) => d.host === hostFor("a")));
  });

  it("with no other alive member there is no push/pull", async () => {
    const h = cluster(["a"]);
    deadNode(h.e, { incarnation: 1, node: "a", from: "x" });
    pushPullTick(h.e);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.tr.dials, []);
  });
});

/**
 * The rules of aliveNode, suspectNode, deadNode, refutation, reaping and mergeRemoteState, one test
 * each, as Go memberlist's state_test.go checks them (named after Go's tests where there is one), plus
 * the rules Shoal adds. One engine on a fake runtime; nothing is sent over a network.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/errors.ts";
import {
  aliveNode,
  deadNode,
  localNodeStates,
  mergeRemoteState,
  resetNodes,
  suspectNode,
} from "../../src/swim/state.ts";
import { ipToBytes, MessageType, NodeState, type PushNodeState } from "../../src/wire/index.ts";
import { harness, hostFor } from "./harness.ts";

const meta = (s: string) => new TextEncoder().encode(s);

function pushState(
  name: string,
  state: NodeState,
  incarnation: number,
  vsn = Uint8Array.of(1, 5, 2, 0, 0, 0),
): PushNodeState {
  return {
    name,
    addr: ipToBytes(hostFor(name)),
    port: 7946,
    meta: new Uint8Array(0),
    incarnation,
    state,
    vsn,
  };
}

describe("aliveNode", () => {
  it("AliveNode_NewNode: a new member is added alive, announced, and gossiped", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    assert.equal(h.node("a")?.state, NodeState.Alive);
    assert.equal(h.node("a")?.incarnation, 1);
    assert.deepEqual(h.events, ["join a"]);
    const q = h.takeQueued();
    assert.equal(q.length, 1);
    assert.equal(q[0]!.type, MessageType.Alive);
  });

  it("AliveNode_SuspectNode: a higher incarnation clears a suspicion without a second join", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    assert.equal(h.node("a")?.state, NodeState.Suspect);
    h.events.length = 0;
    aliveNode(h.e, h.alive("a", 2), null, false);
    assert.equal(h.node("a")?.state, NodeState.Alive);
    assert.equal(h.e.suspicionOf("a") !== undefined, false, "the suspicion timer is cancelled");
    assert.deepEqual(h.events, []);
    h.rt.advance(120_000);
    assert.equal(h.node("a")?.state, NodeState.Alive, "the old suspicion never fires");
  });

  it("AliveNode_Idempotent: the same alive twice changes nothing the second time", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    h.takeQueued();
    h.events.length = 0;
    aliveNode(h.e, h.alive("a", 1), null, false);
    assert.deepEqual(h.takeQueued(), []);
    assert.deepEqual(h.events, []);
  });

  it("a stale incarnation is ignored, even with new metadata", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 5), null, false);
    h.takeQueued();
    aliveNode(h.e, h.alive("a", 4, { meta: meta("x") }), null, false);
    assert.equal(h.node("a")?.incarnation, 5);
    assert.equal(h.node("a")?.meta.length, 0);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("AliveNode_ChangeMeta: new metadata at a higher incarnation is an update", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    h.events.length = 0;
    aliveNode(h.e, h.alive("a", 2, { meta: meta("role=db") }), null, false);
    assert.deepEqual(h.events, ["update a"]);
    assert.equal(new TextDecoder().decode(h.node("a")!.meta), "role=db");
  });

  it("AliveNode_Refute: an alive about us that differs from what we said is refuted", () => {
    const h = harness();
    const before = h.e.currentIncarnation();
    aliveNode(h.e, h.alive("me", before, { meta: meta("forged") }), null, false);
    const after = h.e.currentIncarnation();
    assert.ok(after > before, "our incarnation moved on");
    const q = h.takeQueued();
    assert.equal(q.length, 1);
    assert.equal(q[0]!.type, MessageType.Alive);
    assert.equal(q[0]!.type === MessageType.Alive && q[0]!.body.incarnation, after);
    assert.equal(h.e.awareness.getHealthScore(), 1, "having to refute makes us less sure of our health");
  });

  it("an alive about us that repeats exactly what we said needs no refutation", () => {
    const h = harness();
    const inc = h.e.currentIncarnation();
    aliveNode(h.e, h.alive("me", inc, { addr: ipToBytes("10.0.0.1") }), null, false);
    assert.equal(h.e.currentIncarnation(), inc);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("an alive about us with an older incarnation is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("me", 0, { addr: ipToBytes("10.0.0.1"), meta: meta("old") }), null, false);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("AliveNode_Conflict: a live name at another address is a conflict, and the address stays", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    aliveNode(h.e, h.alive("a", 2, { addr: ipToBytes("10.9.9.9") }), null, false);
    assert.equal(h.node("a")?.host, hostFor("a"));
    assert.equal(h.node("a")?.incarnation, 1);
    assert.deepEqual(h.conflicts, ["a@10.9.9.9"]);
  });

  it("a node that left may come back at a new address", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "a" });
    h.events.length = 0;
    aliveNode(h.e, h.alive("a", 2, { addr: ipToBytes("10.9.9.9") }), null, false);
    assert.equal(h.node("a")?.host, "10.9.9.9");
    assert.deepEqual(h.events, ["join a"]);
  });

  it("a dead node's name is reclaimed at a new address only after deadNodeReclaimTime", () => {
    const h = harness({ deadNodeReclaimTime: 10_000 });
    aliveNode(h.e, h.alive("a", 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "b" });
    aliveNode(h.e, h.alive("a", 2, { addr: ipToBytes("10.9.9.9") }), null, false);
    assert.equal(h.node("a")?.host, hostFor("a"), "too early: a conflict");
    assert.equal(h.conflicts.length, 1);
    h.rt.advance(10_001);
    aliveNode(h.e, h.alive("a", 2, { addr: ipToBytes("10.9.9.9") }), null, false);
    assert.equal(h.node("a")?.host, "10.9.9.9");
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("with deadNodeReclaimTime 0 (Go's default) a dead name is never reclaimed at another address", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "b" });
    h.rt.advance(3_600_000);
    aliveNode(h.e, h.alive("a", 2, { addr: ipToBytes("10.9.9.9") }), null, false);
    assert.equal(h.node("a")?.host, hostFor("a"));
  });

  it("an invalid protocol version range is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1, { vsn: Uint8Array.of(3, 2, 2, 0, 0, 0) }), null, false);
    aliveNode(h.e, h.alive("b", 1, { vsn: Uint8Array.of(0, 5, 2, 0, 0, 0) }), null, false);
    assert.equal(h.node("a"), undefined);
    assert.equal(h.node("b"), undefined);
  });

  it("an address outside cidrsAllowed is not admitted", () => {
    const h = harness({ cidrsAllowed: ["10.0.0.0/24"] });
    aliveNode(h.e, h.alive("out", 1, { addr: ipToBytes("192.168.1.1") }), null, false);
    aliveNode(h.e, h.alive("in", 1, { addr: ipToBytes("10.0.0.7") }), null, false);
    assert.equal(h.node("out"), undefined);
    assert.equal(h.node("in")?.state, NodeState.Alive);
  });

  it("an alive delegate that throws keeps the node out", () => {
    const h = harness({
      alive: {
        notifyAlive: (n) => {
          if (n.name === "bad") throw new Error("no");
        },
      },
    });
    aliveNode(h.e, h.alive("bad", 1), null, false);
    aliveNode(h.e, h.alive("good", 1), null, false);
    assert.equal(h.node("bad"), undefined);
    assert.equal(h.node("good")?.state, NodeState.Alive);
  });

  it("while leaving, alive messages about us are ignored (no refutation of our own leave)", () => {
    const h = harness();
    h.e.beginLeave();
    const inc = h.e.currentIncarnation();
    aliveNode(h.e, h.alive("me", inc + 5, { meta: meta("x") }), null, false);
    assert.equal(h.e.currentIncarnation(), inc);
    assert.deepEqual(h.takeQueued(), []);
  });
});

describe("suspectNode", () => {
  it("SuspectNode_NoNode: a suspicion about an unknown node is ignored", () => {
    const h = harness();
    suspectNode(h.e, { incarnation: 1, node: "ghost", from: "b" });
    assert.equal(h.node("ghost"), undefined);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("SuspectNode: an alive node becomes suspect, is gossiped, and is declared dead at the timeout", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    aliveNode(h.e, h.alive("b", 1), null, false);
    h.takeQueued();
    h.events.length = 0;
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    assert.equal(h.node("a")?.state, NodeState.Suspect);
    assert.deepEqual(h.events, ["suspect a from b"]);
    assert.deepEqual(
      h.takeQueued().map((m) => m.type),
      [MessageType.Suspect],
    );
    // Three members: no confirmations are wanted, so the timeout is the minimum, 4 × 1 s.
    h.rt.advance(3_999);
    assert.equal(h.node("a")?.state, NodeState.Suspect);
    h.rt.advance(1);
    assert.equal(h.node("a")?.state, NodeState.Dead);
    assert.deepEqual(h.events.slice(1), ["leave a:dead"]);
    const dead = h.takeQueued();
    assert.equal(dead[0]?.type, MessageType.Dead);
    assert.equal(dead[0]?.type === MessageType.Dead && dead[0].body.from, "me");
  });

  it("SuspectNode_DoubleSuspect: a second accuser confirms (re-gossip); the same accuser does not", () => {
    const h = harness();
    for (const n of ["a", "b", "c", "d", "e"]) aliveNode(h.e, h.alive(n, 1), null, false);
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    h.takeQueued();
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    assert.deepEqual(h.takeQueued(), [], "the same accuser again is not news");
    suspectNode(h.e, { incarnation: 1, node: "a", from: "c" });
    assert.deepEqual(
      h.takeQueued().map((m) => m.type),
      [MessageType.Suspect],
    );
  });

  it("confirmations from independent accusers shorten the suspicion (Lifeguard)", () => {
    // Six members: k = suspicionMult - 2 = 2 confirmations wanted; min = 4 × max(1, log10 6) s = 4 s,
    // max = 6 × min.
    const slow = harness();
    const fast = harness();
    for (const h of [slow, fast]) {
      for (const n of ["a", "b", "c", "d", "e"]) aliveNode(h.e, h.alive(n, 1), null, false);
      suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    }
    suspectNode(fast.e, { incarnation: 1, node: "a", from: "c" });
    suspectNode(fast.e, { incarnation: 1, node: "a", from: "d" });
    const min = 4_000;
    fast.rt.advance(min);
    slow.rt.advance(min);
    assert.equal(fast.node("a")?.state, NodeState.Dead, "two confirmations: dead at the minimum");
    assert.equal(slow.node("a")?.state, NodeState.Suspect, "no confirmations: still suspect");
    slow.rt.advance(5 * min);
    assert.equal(slow.node("a")?.state, NodeState.Dead, "dead at the maximum");
  });

  it("SuspectNode_OldSuspect: a suspicion about an older incarnation is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 5), null, false);
    suspectNode(h.e, { incarnation: 4, node: "a", from: "b" });
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("SuspectNode_Refute: a suspicion about us is refuted with a higher incarnation", () => {
    const h = harness();
    suspectNode(h.e, { incarnation: 7, node: "me", from: "b" });
    assert.equal(h.node("me")?.state, NodeState.Alive);
    assert.equal(h.e.currentIncarnation(), 8, "past the accused incarnation");
    const q = h.takeQueued();
    assert.equal(q[0]?.type === MessageType.Alive && q[0].body.incarnation, 8);
    assert.equal(h.e.awareness.getHealthScore(), 1);
  });

  it("a suspicion about a dead node is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "b" });
    h.takeQueued();
    suspectNode(h.e, { incarnation: 1, node: "a", from: "c" });
    assert.equal(h.node("a")?.state, NodeState.Dead);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("a suspicion that is overtaken by a newer alive does not kill the node at its old timeout", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    aliveNode(h.e, h.alive("a", 2), null, false);
    suspectNode(h.e, { incarnation: 2, node: "a", from: "b" });
    h.rt.advance(3_000);
    aliveNode(h.e, h.alive("a", 3), null, false);
    h.rt.advance(60_000);
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });
});

describe("deadNode", () => {
  it("DeadNode_NoNode: a death of an unknown node is ignored", () => {
    const h = harness();
    deadNode(h.e, { incarnation: 1, node: "ghost", from: "b" });
    assert.equal(h.node("ghost"), undefined);
    assert.deepEqual(h.events, []);
  });

  it("DeadNode: an alive node is marked dead, announced and gossiped", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    h.takeQueued();
    h.events.length = 0;
    deadNode(h.e, { incarnation: 1, node: "a", from: "b" });
    assert.equal(h.node("a")?.state, NodeState.Dead);
    assert.deepEqual(h.events, ["leave a:dead"]);
    assert.deepEqual(
      h.takeQueued().map((m) => m.type),
      [MessageType.Dead],
    );
  });

  it("DeadNodeLeft: a death the node declares itself is a leave", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    h.events.length = 0;
    deadNode(h.e, { incarnation: 1, node: "a", from: "a" });
    assert.equal(h.node("a")?.state, NodeState.Left);
    assert.deepEqual(h.events, ["leave a:left"]);
  });

  it("DeadNode_Double: a second death of a dead node is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "b" });
    h.takeQueued();
    h.events.length = 0;
    deadNode(h.e, { incarnation: 1, node: "a", from: "c" });
    assert.deepEqual(h.events, []);
    assert.deepEqual(h.takeQueued(), []);
  });

  it("DeadNode_OldDead: a death at an older incarnation is ignored", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 10), null, false);
    deadNode(h.e, { incarnation: 9, node: "a", from: "b" });
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("DeadNode_AliveReplay: an alive at the incarnation that died does not revive the node", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 10), null, false);
    deadNode(h.e, { incarnation: 10, node: "a", from: "b" });
    aliveNode(h.e, h.alive("a", 10), null, false);
    assert.equal(h.node("a")?.state, NodeState.Dead);
    aliveNode(h.e, h.alive("a", 11), null, false);
    assert.equal(h.node("a")?.state, NodeState.Alive, "a higher incarnation does");
  });

  it("DeadNode_Refute: a death of us while running is refuted", () => {
    const h = harness();
    deadNode(h.e, { incarnation: 3, node: "me", from: "b" });
    assert.equal(h.node("me")?.state, NodeState.Alive);
    assert.equal(h.e.currentIncarnation(), 4);
    assert.equal(h.takeQueued()[0]?.type, MessageType.Alive);
  });

  it("a death of us while leaving is accepted: we are left, and the message is gossiped", () => {
    const h = harness();
    h.e.beginLeave();
    let notified = false;
    const inc = h.e.currentIncarnation();
    deadNode(h.e, { incarnation: inc, node: "me", from: "me" }, () => {
      notified = true;
    });
    assert.equal(h.node("me")?.state, NodeState.Left);
    const q = h.takeQueued();
    assert.equal(q[0]?.type, MessageType.Dead);
    h.e.broadcasts.reset();
    assert.ok(notified, "the leave's broadcast tells the waiter when it is done");
  });

  it("a death cancels a running suspicion", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    deadNode(h.e, { incarnation: 1, node: "a", from: "a" });
    assert.equal(h.e.suspicionOf("a") !== undefined, false);
    h.rt.advance(60_000);
    assert.equal(h.node("a")?.state, NodeState.Left, "the suspicion did not turn a leave into a death");
  });
});

describe("resetNodes", () => {
  it("ResetNodes: dead and left members older than gossipToTheDeadTime are reaped, others kept", () => {
    const h = harness({ gossipToTheDeadTime: 1_000 });
    for (const n of ["a", "b", "c"]) aliveNode(h.e, h.alive(n, 1), null, false);
    deadNode(h.e, { incarnation: 1, node: "a", from: "x" });
    h.rt.advance(500);
    deadNode(h.e, { incarnation: 1, node: "b", from: "b" });
    h.rt.advance(600);
    resetNodes(h.e);
    assert.equal(h.node("a"), undefined, "dead for 1.1 s: reaped");
    assert.equal(h.node("b")?.state, NodeState.Left, "left 0.6 s ago: kept");
    assert.equal(h.node("c")?.state, NodeState.Alive);
    assert.equal(h.e.numNodes, 3);
    h.rt.advance(1_000);
    resetNodes(h.e);
    assert.equal(h.node("b"), undefined);
    assert.equal(h.e.numNodes, 2);
  });
});

describe("mergeRemoteState", () => {
  it("MergeState: alive is added, left is left, and a remote dead is only a suspicion here", () => {
    const h = harness();
    aliveNode(h.e, h.alive("d", 1), null, false);
    aliveNode(h.e, h.alive("l", 1), null, false);
    mergeRemoteState(
      h.e,
      false,
      [
        pushState("a", NodeState.Alive, 3),
        pushState("d", NodeState.Dead, 1),
        pushState("l", NodeState.Left, 1),
      ],
      null,
    );
    assert.equal(h.node("a")?.state, NodeState.Alive);
    assert.equal(h.node("a")?.incarnation, 3);
    assert.equal(h.node("d")?.state, NodeState.Suspect, "we let our own probes decide");
    assert.equal(h.node("l")?.state, NodeState.Left);
  });

  it("an unknown remote state is ignored, as Go does", () => {
    const h = harness();
    mergeRemoteState(h.e, false, [pushState("x", 9 as NodeState, 1)], null);
    assert.equal(h.node("x"), undefined);
  });

  it("an incompatible protocol version fails the merge before anything changes", () => {
    const h = harness();
    assert.throws(
      () =>
        mergeRemoteState(
          h.e,
          false,
          [
            pushState("a", NodeState.Alive, 1),
            pushState("old", NodeState.Alive, 1, Uint8Array.of(1, 1, 1, 0, 0, 0)),
          ],
          null,
        ),
      ConfigError,
    );
    assert.equal(h.node("a"), undefined);
  });

  it("a merge delegate that refuses a join cancels the merge; outside a join it is not asked", () => {
    const h = harness({
      merge: {
        notifyMerge: () => {
          throw new Error("not this cluster");
        },
      },
    });
    assert.throws(() => mergeRemoteState(h.e, true, [pushState("a", NodeState.Alive, 1)], null));
    assert.equal(h.node("a"), undefined);
    mergeRemoteState(h.e, false, [pushState("a", NodeState.Alive, 1)], null);
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("the remote user state reaches the delegate with the join flag", () => {
    const got: string[] = [];
    const h = harness({ delegate: { mergeRemoteState: (buf, join) => got.push(`${buf.length}:${join}`) } });
    mergeRemoteState(h.e, true, [], Uint8Array.of(1, 2, 3));
    assert.deepEqual(got, ["3:true"]);
  });

  it("localNodeStates leaves out members whose versions we never learnt", () => {
    const h = harness();
    aliveNode(h.e, h.alive("a", 1), null, false);
    aliveNode(h.e, h.alive("novsn", 1, { vsn: new Uint8Array(0) }), null, false);
    assert.deepEqual(
      localNodeStates(h.e)
        .map((n) => n.name)
        .sort(),
      ["a", "me"],
    );
  });
});

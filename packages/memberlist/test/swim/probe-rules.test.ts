/**
 * The rules of the probe loop and of the packet handlers, one test each (Go's state_test.go
 * TestMemberList_Probe* and the ping/ack/nack tests), plus Shoal's lag-awareness rule. One engine on a
 * fake runtime; the "network" is a recording transport, and acks are fed in as packets by the test.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Address } from "../../src/driver.ts";
import { handlePacket } from "../../src/swim/packets.ts";
import { probeNode, probeTick } from "../../src/swim/probe.ts";
import { aliveNode, deadNode, suspectNode } from "../../src/swim/state.ts";
import {
  encodeMessage,
  ipToBytes,
  type Message,
  MessageType,
  makeCompounds,
  NodeState,
} from "../../src/wire/index.ts";
import { type Harness, harness, hostFor } from "./harness.ts";

const oldVsn = Uint8Array.of(1, 3, 2, 0, 0, 0); // speaks up to protocol 3: no nacks
const v2Vsn = Uint8Array.of(1, 2, 2, 0, 0, 0); // protocol 2: no TCP fallback either

/** Lets pending promise callbacks (the TCP fallback's verdict) run. */
const settle = () => new Promise((r) => setImmediate(r));

function sentOfType<T extends Message["type"]>(h: Harness, type: T) {
  return h.takeSent().filter((s) => s.msg.type === type) as {
    to: Address;
    msg: Extract<Message, { type: T }>;
  }[];
}

function ack(h: Harness, seqNo: number, payload: Uint8Array | null = null) {
  handlePacket(h.e, h.packet(encodeMessage({ type: MessageType.AckResp, body: { seqNo, payload } })));
}

function nack(h: Harness, seqNo: number) {
  handlePacket(h.e, h.packet(encodeMessage({ type: MessageType.NackResp, body: { seqNo } })));
}

/** A cluster of "me" plus `names`, all alive at incarnation 1, with `vsn` for the others. */
function cluster(names: string[], vsn?: Uint8Array, config = {}): Harness {
  const h = harness(config);
  for (const n of names) aliveNode(h.e, h.alive(n, 1, vsn ? { vsn } : {}), null, false);
  h.takeQueued();
  h.events.length = 0;
  return h;
}

describe("probe", () => {
  it("Probe: a direct ping goes to the member's address; its ack ends the round and improves health", () => {
    const h = cluster(["a"]);
    h.e.awareness.applyDelta(2);
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    assert.deepEqual(ping?.to, { host: hostFor("a"), port: 7946 });
    assert.equal(ping?.msg.body.node, "a");
    assert.equal(ping?.msg.body.sourceNode, "me");
    assert.equal(h.e.probeInFlight, true);
    ack(h, ping!.msg.body.seqNo);
    assert.equal(h.e.probeInFlight, false);
    assert.equal(h.e.awareness.getHealthScore(), 1);
    h.rt.advance(60_000);
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("a direct ack tells the ping delegate the round trip and the peer's payload", () => {
    const got: string[] = [];
    const h = cluster(["a"], undefined, {
      ping: {
        ackPayload: () => new Uint8Array(0),
        notifyPingComplete: (n: { name: string }, rtt: number, p: Uint8Array) =>
          got.push(`${n.name} ${rtt} ${p.length}`),
      },
    });
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    h.rt.advance(30);
    ack(h, ping!.msg.body.seqNo, Uint8Array.of(1, 2));
    assert.deepEqual(got, ["a 30 2"]);
  });

  it("ProbeNode_Suspect: no ack, indirect pings through k peers, then the probed incarnation is suspected", async () => {
    const h = cluster(["a", "b", "c", "d", "e"]);
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    h.rt.advance(499);
    assert.deepEqual(sentOfType(h, MessageType.IndirectPing), []);
    h.rt.advance(1); // probeTimeout
    const ind = sentOfType(h, MessageType.IndirectPing);
    assert.equal(ind.length, 3, "indirectChecks peers");
    for (const r of ind) {
      assert.notEqual(r.to.host, hostFor("a"));
      assert.notEqual(r.to.host, "10.0.0.1");
      assert.equal(r.msg.body.node, "a");
      assert.equal(r.msg.body.seqNo, ping!.msg.body.seqNo);
    }
    h.rt.advance(500); // probeInterval: the ack wait ends
    await settle();
    assert.deepEqual(h.events, ["suspect a from me"]);
    assert.equal(h.node("a")?.state, NodeState.Suspect);
  });

  it("the suspicion names the incarnation probed: a newer alive that came meanwhile makes it stale", async () => {
    const h = cluster(["a", "b"]);
    probeNode(h.e, h.node("a")!);
    aliveNode(h.e, h.alive("a", 2), null, false);
    h.rt.advance(1_000);
    await settle();
    assert.deepEqual(h.events, []);
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("ProbeNode_Buddy: probing a suspect sends the ping and the suspicion together", () => {
    const h = cluster(["a", "b"]);
    suspectNode(h.e, { incarnation: 1, node: "a", from: "b" });
    h.takeQueued();
    probeNode(h.e, h.node("a")!);
    const sent = h.tr.sent.splice(0);
    assert.equal(sent.length, 1, "one datagram");
    const msgs = h.decodeSent(sent);
    assert.deepEqual(
      msgs.map((m) => m.type),
      [MessageType.Ping, MessageType.Suspect],
    );
    const s = msgs[1]!;
    assert.ok(s.type === MessageType.Suspect && s.body.node === "a" && s.body.from === "me");
  });

  it("ProbeNode_Awareness_Degraded: peers without nacks, no ack: health worsens by one", async () => {
    const h = cluster(["a", "b", "c"], oldVsn);
    probeNode(h.e, h.node("a")!);
    h.rt.advance(1_000);
    await settle();
    assert.equal(h.e.awareness.getHealthScore(), 1);
  });

  it("ProbeNode_Awareness_MissedNack: each missing nack worsens health by one", async () => {
    const h = cluster(["a", "b", "c"]);
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    h.rt.advance(500);
    const ind = sentOfType(h, MessageType.IndirectPing);
    assert.equal(ind.length, 2);
    assert.ok(
      ind.every((r) => r.msg.body.nack),
      "peers at protocol 4+ are asked for nacks",
    );
    nack(h, ping!.msg.body.seqNo);
    h.rt.advance(500);
    await settle();
    assert.equal(h.e.awareness.getHealthScore(), 1, "two nacks expected, one came");
  });

  it("all expected nacks arriving means the fault is the target's, not ours: health unchanged", async () => {
    const h = cluster(["a", "b", "c"]);
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    h.rt.advance(500);
    nack(h, ping!.msg.body.seqNo);
    nack(h, ping!.msg.body.seqNo);
    h.rt.advance(500);
    await settle();
    assert.equal(h.e.awareness.getHealthScore(), 0);
    assert.equal(h.node("a")?.state, NodeState.Suspect);
  });

  it("the ack wait stretches with poor health (Lifeguard: a slow node waits longer)", async () => {
    const h = cluster(["a", "b"]);
    h.e.awareness.applyDelta(2);
    probeNode(h.e, h.node("a")!);
    const [ping] = sentOfType(h, MessageType.Ping);
    h.rt.advance(2_999);
    ack(h, ping!.msg.body.seqNo);
    await settle();
    assert.equal(h.node("a")?.state, NodeState.Alive, "3 × probeInterval to answer");
  });

  it("ProbeNode_FallbackTCP: a member at protocol 3+ is also pinged over TCP after probeTimeout", async () => {
    const h = cluster(["a", "b"]);
    probeNode(h.e, h.node("a")!);
    assert.equal(h.tr.dials.length, 0);
    h.rt.advance(500);
    assert.deepEqual(h.tr.dials, [{ host: hostFor("a"), port: 7946 }]);
  });

  it("a TCP ack saves the member from suspicion (UDP blocked, TCP open)", async () => {
    const h = cluster(["a", "b"]);
    h.tr.answerDials = true;
    probeNode(h.e, h.node("a")!);
    h.rt.advance(500);
    await settle();
    h.rt.advance(500);
    await settle();
    assert.deepEqual(h.events, []);
    assert.equal(h.node("a")?.state, NodeState.Alive);
    assert.equal(h.e.probeInFlight, false);
  });

  it("ProbeNode_FallbackTCP_Disabled: no TCP ping with disableTcpPings, or for a chosen node", () => {
    const off = cluster(["a", "b"], undefined, { disableTcpPings: true });
    probeNode(off.e, off.node("a")!);
    off.rt.advance(500);
    assert.deepEqual(off.tr.dials, []);
    const some = cluster(["a", "b"], undefined, { disableTcpPingsForNode: (n: string) => n === "a" });
    probeNode(some.e, some.node("a")!);
    some.rt.advance(500);
    assert.deepEqual(some.tr.dials, []);
  });

  it("ProbeNode_FallbackTCP_OldProtocol: no TCP ping to a member below protocol 3", () => {
    const h = cluster(["a", "b"], v2Vsn);
    probeNode(h.e, h.node("a")!);
    h.rt.advance(500);
    assert.deepEqual(h.tr.dials, []);
  });

  it("the probe loop skips ourselves and the dead, and wraps around (reaping on the way)", () => {
    const h = cluster(["a", "b"]);
    deadNode(h.e, { incarnation: 1, node: "b", from: "x" });
    h.takeQueued();
    const targets: string[] = [];
    for (let i = 0; i < 8; i++) {
      probeTick(h.e);
      for (const s of sentOfType(h, MessageType.Ping)) {
        targets.push(s.msg.body.node);
        ack(h, s.msg.body.seqNo);
      }
    }
    // A tick that only meets us, the dead and the wrap-around probes no one, as in Go.
    assert.ok(targets.length >= 4, `${targets.length} probes in 8 ticks`);
    assert.deepEqual(new Set(targets), new Set(["a"]));
  });

  it("a tick during a running probe waits for it, then runs at once (Go's ticker keeps one tick)", () => {
    const h = cluster(["a", "b"]);
    probeTick(h.e);
    const [first] = sentOfType(h, MessageType.Ping);
    probeTick(h.e);
    probeTick(h.e);
    assert.deepEqual(sentOfType(h, MessageType.Ping), [], "no second probe while one runs");
    ack(h, first!.msg.body.seqNo);
    h.rt.advance(0);
    assert.equal(sentOfType(h, MessageType.Ping).length, 1, "exactly one kept tick");
  });

  it("lag awareness: a probe that failed while this node stalled suspects no one, and probes again", async () => {
    const h = cluster(["a", "b"], oldVsn, { lagAwareness: true });
    probeNode(h.e, h.node("a")!);
    sentOfType(h, MessageType.Ping);
    h.rt.stall(2_000); // the event loop was blocked: every timer fires late
    h.rt.advance(0);
    await settle();
    assert.deepEqual(h.events, []);
    h.takeSent();
    h.rt.advance(0);
    const again = sentOfType(h, MessageType.Ping);
    assert.equal(again.length, 1, "the node is probed once more");
    assert.equal(again[0]!.msg.body.node, "a");
  });
});

describe("packets", () => {
  it("Ping: answered with an ack to the Source address, carrying the ping delegate's payload", () => {
    const h = cluster(["a"], undefined, {
      ping: { ackPayload: () => Uint8Array.of(9), notifyPingComplete() {} },
    });
    const ping = encodeMessage({
      type: MessageType.Ping,
      body: { seqNo: 42, node: "me", sourceAddr: ipToBytes("10.7.7.7"), sourcePort: 8000, sourceNode: "a" },
    });
    handlePacket(h.e, h.packet(ping, { host: "10.0.9.9", port: 1234 }));
    const [a] = sentOfType(h, MessageType.AckResp);
    assert.deepEqual(a?.to, { host: "10.7.7.7", port: 8000 });
    assert.equal(a?.msg.body.seqNo, 42);
    assert.deepEqual([...(a?.msg.body.payload ?? [])], [9]);
  });

  it("a ping without Source fields is answered to the sender", () => {
    const h = harness();
    handlePacket(
      h.e,
      h.packet(encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "" } }), {
        host: "10.5.5.5",
        port: 99,
      }),
    );
    assert.deepEqual(sentOfType(h, MessageType.AckResp)[0]?.to, { host: "10.5.5.5", port: 99 });
  });

  it("a ping for another node name is not answered (the address was reused by a new node)", () => {
    const h = harness();
    handlePacket(h.e, h.packet(encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: "other" } })));
    assert.deepEqual(h.takeSent(), []);
  });

  it("an ack or nack for no pending probe is ignored", () => {
    const h = harness();
    ack(h, 12345);
    nack(h, 12345);
    assert.deepEqual(h.takeSent(), []);
  });

  it("IndirectPing: we ping the target for the requester and forward its ack under the requester's seqNo", () => {
    const h = cluster(["a", "t"]);
    const req = encodeMessage({
      type: MessageType.IndirectPing,
      body: {
        seqNo: 77,
        target: ipToBytes(hostFor("t")),
        port: 7946,
        node: "t",
        nack: true,
        sourceAddr: ipToBytes(hostFor("a")),
        sourcePort: 7946,
        sourceNode: "a",
      },
    });
    handlePacket(h.e, h.packet(req));
    const [ping] = sentOfType(h, MessageType.Ping);
    assert.deepEqual(ping?.to, { host: hostFor("t"), port: 7946 });
    assert.equal(ping?.msg.body.node, "t");
    ack(h, ping!.msg.body.seqNo);
    const [fwd] = sentOfType(h, MessageType.AckResp);
    assert.deepEqual(fwd?.to, { host: hostFor("a"), port: 7946 });
    assert.equal(fwd?.msg.body.seqNo, 77);
  });

  it("Nack: an indirect ping that asked for nacks gets one when the target stays silent; one that did not, nothing", () => {
    for (const wantNack of [true, false]) {
      const h = cluster(["a", "t"]);
      const req = encodeMessage({
        type: MessageType.IndirectPing,
        body: {
          seqNo: 5,
          target: ipToBytes(hostFor("t")),
          port: 7946,
          node: "t",
          nack: wantNack,
          sourceNode: "a",
        },
      });
      handlePacket(h.e, h.packet(req, { host: hostFor("a"), port: 7946 }));
      h.takeSent();
      h.rt.advance(500); // probeTimeout
      const nacks = sentOfType(h, MessageType.NackResp);
      assert.equal(nacks.length, wantNack ? 1 : 0);
      if (wantNack) assert.equal(nacks[0]!.msg.body.seqNo, 5);
    }
  });

  it("gossip in a compound packet is applied part by part", () => {
    const h = harness();
    const parts = ["a", "b"].map((n) => encodeMessage({ type: MessageType.Alive, body: h.alive(n, 1) }));
    handlePacket(h.e, h.packet(makeCompounds(parts)[0]!));
    assert.deepEqual(h.events, ["join a", "join b"]);
  });

  it("no more than handoffQueueDepth messages of one packet are handled", () => {
    const h = harness({ handoffQueueDepth: 2 });
    const parts = ["a", "b", "c"].map((n) => encodeMessage({ type: MessageType.Alive, body: h.alive(n, 1) }));
    handlePacket(h.e, h.packet(makeCompounds(parts)[0]!));
    assert.deepEqual(h.events, ["join a", "join b"]);
  });

  it("an alive from a source address outside cidrsAllowed is dropped, whatever it claims", () => {
    const h = harness({ cidrsAllowed: ["10.0.0.0/8"] });
    const alive = encodeMessage({ type: MessageType.Alive, body: h.alive("a", 1) });
    handlePacket(h.e, h.packet(alive, { host: "192.168.0.5", port: 7946 }));
    assert.equal(h.node("a"), undefined);
    handlePacket(h.e, h.packet(alive, { host: "10.1.1.1", port: 7946 }));
    assert.equal(h.node("a")?.state, NodeState.Alive);
  });

  it("garbage and unsupported messages are dropped without throwing", () => {
    const h = harness();
    handlePacket(h.e, { buf: Uint8Array.of(0xff, 1, 2), from: { host: "10.0.9.9", port: 1 }, timestamp: 0 });
    handlePacket(h.e, h.packet(Uint8Array.of(MessageType.Alive, 0xc1)));
    handlePacket(h.e, h.packet(Uint8Array.of(MessageType.PushPull, 0x80)));
    assert.deepEqual(h.events, []);
  });

  it("a user message reaches the owner", () => {
    const h = harness();
    handlePacket(h.e, h.packet(encodeMessage({ type: MessageType.User, body: Uint8Array.of(1, 2, 3) })));
    assert.deepEqual(h.events, ["message 3"]);
  });
});

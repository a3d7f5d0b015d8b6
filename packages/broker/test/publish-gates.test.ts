/**
 * When a publish may be taken and answered, beyond the ack mode's peer count: a draining node
 * takes nothing, and a node still joining its cluster does not count itself as the whole cluster.
 * Both were found by the broker simulator (seeds 8034 and 1324): the first let an event be shown
 * to local subscribers by a node on its way out, which then lost it; the second let a node
 * restarted a moment ago answer 2xx alone, then die with the only copy.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckTimeoutError } from "../src/core/plane.ts";
import {
  type Broker,
  createBroker,
  type Membership,
  type MembershipStatus,
  type Peer,
  type PeerChange,
  StaticCluster,
  silentLogger,
} from "../src/index.ts";
import { CrankedRuntime, drainBytes, MemoryNetwork } from "./memory-driver.ts";

const ACK_TIMEOUT_MS = 5_000;

function brokerOn(
  membership: Membership,
  runtime: CrankedRuntime,
  network: MemoryNetwork,
  addr: string,
): Broker {
  return createBroker({
    membership,
    driver: { runtime, wallClock: () => 1_700_000_000_000 + runtime.now(), network: network.node(addr) },
    ackMode: "one",
    ackTimeoutMs: ACK_TIMEOUT_MS,
    heartbeatMs: 0,
    logger: silentLogger,
  });
}

test("a draining broker refuses accept() with ERR_DRAINING and takes nothing", async () => {
  const runtime = new CrankedRuntime();
  const broker = brokerOn(
    new StaticCluster().join("a", "10.0.0.1:8080"),
    runtime,
    new MemoryNetwork(),
    "10.0.0.1:8080",
  );
  try {
    await broker.accept({ channel: "c", data: "before" });
    broker.drain();
    await assert.rejects(broker.accept({ channel: "c", data: "after" }), { code: "ERR_DRAINING" });
    assert.equal(broker.hub.log.lastSeq, 1, "the refused event was not taken");
  } finally {
    await broker.close();
  }
});

/** Gossip that has been told to join and has not reached anyone yet; {@link reach} ends that. */
class JoiningMembership implements Membership {
  private stillJoining = true;
  private readonly joined = new Set<() => void>();
  constructor(readonly localName: string) {}
  peers(): Peer[] {
    return [];
  }
  onChange(_fn: (change: PeerChange) => void): () => void {
    return () => {};
  }
  status(): MembershipStatus {
    return { memberCount: 1, members: [], healthScore: 0 };
  }
  joining(): boolean {
    return this.stillJoining;
  }
  onJoined(fn: () => void): () => void {
    this.joined.add(fn);
    return () => this.joined.delete(fn);
  }
  /** The join went through, and the node found nobody else (it was the cluster's first). */
  reach(): void {
    this.stillJoining = false;
    for (const fn of this.joined) fn();
  }
  async leave(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

test("a node still joining does not answer `one` alone: 503 at the ack timeout, saying why", async () => {
  const runtime = new CrankedRuntime();
  const broker = brokerOn(new JoiningMembership("a"), runtime, new MemoryNetwork(), "10.0.0.1:8080");
  try {
    let answer = null as unknown;
    broker.accept({ channel: "c", data: "x" }).then(
      () => {
        answer = "2xx";
      },
      (err: Error) => {
        answer = err;
      },
    );
    await drainBytes();
    assert.equal(answer, null, "not answered while the node cannot know whether it is alone");
    runtime.advance(ACK_TIMEOUT_MS);
    runtime.runDue();
    await drainBytes();
    const err = answer as Error | null;
    assert.ok(err instanceof AckTimeoutError, `503 at the timeout, got ${String(err)}`);
    assert.match(err.message, /not joined its cluster yet/);
  } finally {
    await broker.close();
  }
});

test("a node still joining answers its waiting publishes once the join finds it alone", async () => {
  const runtime = new CrankedRuntime();
  const membership = new JoiningMembership("a");
  const broker = brokerOn(membership, runtime, new MemoryNetwork(), "10.0.0.1:8080");
  try {
    let acked = false;
    const p = broker.accept({ channel: "c", data: "x" }).then(() => {
      acked = true;
    });
    await drainBytes();
    assert.equal(acked, false);
    membership.reach();
    await drainBytes();
    assert.equal(acked, true, "answered as soon as the node knows it is alone, not at the timeout");
    await p;
    await broker.accept({ channel: "c", data: "y" }); // and from then on at once
  } finally {
    await broker.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinkProfile } from "../src/link-profile.ts";
import { Simulator } from "../src/simulator.ts";
import { addrOf, ProbeApp } from "./probe-app.ts";

const constant = (ms: number): LinkProfile => ({ latency: { kind: "constant", ms }, loss: 0, duplicate: 0 });

function cluster(n: number, options: { udpRecvBufferBytes?: number } = {}) {
  const s = new Simulator<ProbeApp>({ seed: 1, link: constant(1), ...options }, (ctx) => new ProbeApp(ctx));
  return { s, nodes: Array.from({ length: n }, () => s.addNode()) };
}

test("a crash stops the process at once: its timers never fire and it sends nothing more", async () => {
  const { s, nodes } = cluster(2);
  const [a, b] = nodes;
  const ticks: number[] = [];
  s.at(0, () => {
    const rt = a!.app!.runtime;
    const loop = () => {
      ticks.push(rt.now());
      void a!.app!.send("tick", addrOf(b!));
      rt.setTimer(10, loop);
    };
    rt.setTimer(10, loop);
  });
  s.crash(a!.id, { atMs: 35 });
  await s.run(100);
  assert.deepEqual(ticks, [10, 20, 30]);
  assert.equal(b!.app!.received.length, 3);
  assert.equal(a!.status, "crashed");
  assert.equal(a!.app, null);
});

test("datagrams to a crashed node vanish; after a restart on the same address it hears again", async () => {
  const { s, nodes } = cluster(2);
  const [a, b] = nodes;
  s.crash(b!.id, { atMs: 5 });
  s.at(10, () => a!.app!.send("lost", addrOf(b!)));
  s.restart(b!.id, { atMs: 20 });
  s.at(30, () => a!.app!.send("heard", addrOf(b!)));
  await s.run(100);
  assert.equal(b!.epoch, 2);
  assert.equal(b!.status, "running");
  assert.deepEqual(
    b!.app!.received.map((r) => r.text),
    ["heard"],
  );
});

test("a restart on a new address leaves the old one dead", async () => {
  const { s, nodes } = cluster(2);
  const [a, b] = nodes;
  const oldAddr = addrOf(b!);
  s.restart(b!.id, { atMs: 5, newAddress: true });
  s.at(10, () => {
    void a!.app!.send("old", oldAddr);
    void a!.app!.send("new", addrOf(b!));
  });
  await s.run(100);
  assert.notEqual(b!.ip, oldAddr.host);
  assert.deepEqual(
    b!.app!.received.map((r) => r.text),
    ["new"],
  );
});

test("a graceful leave calls leave then shutdown, and the process then stops", async () => {
  const { s, nodes } = cluster(1);
  const [a] = nodes;
  let app: ProbeApp | null = null;
  s.at(1, () => {
    app = a!.app;
  });
  s.leave(a!.id, { atMs: 5, timeoutMs: 100 });
  await s.run(10);
  assert.ok(app !== null);
  assert.equal((app as ProbeApp).left, true);
  assert.equal((app as ProbeApp).shut, true);
  assert.equal(a!.status, "stopped");
  assert.equal(a!.hostUp, true);
});

test("a stalled node handles its backlog late, in order, seeing the late clock", async () => {
  const { s, nodes } = cluster(2);
  const [a, b] = nodes;
  const seen: string[] = [];
  s.at(0, () => {
    const rt = b!.app!.runtime;
    rt.setTimer(150, () => seen.push(`timer150@${rt.now()}`));
    rt.setTimer(400, () => seen.push(`timer400@${rt.now()}`));
  });
  s.at(120, () => a!.app!.send("m120", addrOf(b!)));
  s.at(170, () => a!.app!.send("m170", addrOf(b!)));
  s.stall(b!.id, { atMs: 100, durationMs: 200 });
  await s.run(500);
  const got = b!.app!.received.map((r) => `${r.text}@${r.at}/${r.timestamp}`);
  assert.deepEqual(got, ["m120@300/300", "m170@300/300"]);
  assert.deepEqual(seen, ["timer150@300", "timer400@400"]);
  assert.deepEqual(b!.stalls, [{ start: 100, end: 300 }]);
  // The order across kinds is the order things were due: the 121 ms datagram, the 150 ms timer, the 171 ms datagram.
  assert.equal(s.stats.held, 3);
});

test("overlapping stalls extend the first one", async () => {
  const { s, nodes } = cluster(1);
  const [a] = nodes;
  const seen: number[] = [];
  s.at(0, () => a!.app!.runtime.setTimer(150, () => seen.push(a!.app!.runtime.now())));
  s.stall(a!.id, { atMs: 100, durationMs: 100 });
  s.stall(a!.id, { atMs: 150, durationMs: 200 });
  await s.run(1000);
  assert.deepEqual(a!.stalls, [{ start: 100, end: 350 }]);
  assert.deepEqual(seen, [350]);
});

test("a stalled node's receive buffer overflows and drops the excess", async () => {
  const { s, nodes } = cluster(2, { udpRecvBufferBytes: 10 * (100 + 28) });
  const [a, b] = nodes;
  s.stall(b!.id, { atMs: 1, durationMs: 100 });
  s.at(10, () => {
    for (let i = 0; i < 25; i++) void a!.app!.send("z".repeat(100), addrOf(b!));
  });
  await s.run(200);
  assert.equal(b!.app!.received.length, 10);
  assert.equal(b!.counters.packetsOverflowed, 15);
});

test("a stalled server's kernel completes the handshake, but the accept runs after the stall", async () => {
  const { s, nodes } = cluster(2);
  const [a, b] = nodes;
  let acceptedAt = -1;
  let connectedAt = -1;
  s.at(0, () =>
    b!.app!.transport.setStreamHandler(() => {
      acceptedAt = s.now;
    }),
  );
  s.stall(b!.id, { atMs: 0.5, durationMs: 50 });
  s.at(1, async () => {
    await a!.app!.transport.dial(addrOf(b!), 1000);
    connectedAt = s.now;
  });
  await s.run(100);
  assert.equal(connectedAt, 3);
  assert.equal(acceptedAt, 50.5);
});

test("with timers-first, a stalled node runs its expired timers before the I/O that arrived earlier", async () => {
  const s = new Simulator<ProbeApp>(
    { seed: 1, link: constant(1), stallBacklog: "timers-first" },
    (ctx) => new ProbeApp(ctx),
  );
  const a = s.addNode();
  const b = s.addNode();
  const seen: string[] = [];
  s.at(0, () => {
    b.app!.runtime.setTimer(150, () => seen.push(`timer@${b.app!.runtime.now()}`));
    b.app!.transport.setPacketHandler((p) => seen.push(`packet@${p.timestamp}`));
  });
  s.at(120, () => a.app!.send("early", addrOf(b)));
  s.stall(b.id, { atMs: 100, durationMs: 200 });
  await s.run(500);
  assert.deepEqual(seen, ["timer@300", "packet@300"]);
});

test("a leave that fails is recorded, and the node still shuts down", async () => {
  const s = new Simulator({ seed: 1 }, () => ({
    leave: async () => {
      throw new Error("leave timed out");
    },
    shutdown: async () => {},
  }));
  const n = s.addNode();
  s.leave(n.id, { atMs: 5 });
  await s.run(10);
  assert.equal(n.status, "stopped");
  assert.match(String(n.leaveError), /leave timed out/);
});

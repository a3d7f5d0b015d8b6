import assert from "node:assert/strict";
import { test } from "node:test";
import type { Stream } from "@shoal/memberlist";
import type { LinkProfile } from "../src/link-profile.ts";
import { Simulator } from "../src/simulator.ts";
import { addrOf, ProbeApp, str, text } from "./probe-app.ts";

const constant = (ms: number): LinkProfile => ({ latency: { kind: "constant", ms }, loss: 0, duplicate: 0 });

function pair(link: LinkProfile = constant(1), seed = 1) {
  const s = new Simulator<ProbeApp>({ seed, link }, (ctx) => new ProbeApp(ctx));
  return { s, a: s.addNode(), b: s.addNode() };
}

/** Runs `body` at 1 ms (on node a's behalf) and records the outcome (value or error code) with its time. */
function onA<T>(s: Simulator<ProbeApp>, body: () => Promise<T>) {
  const out: { at?: number; value?: T; code?: string } = {};
  s.at(1, () => {
    body().then(
      (value) => Object.assign(out, { at: s.now, value }),
      (err: { code?: string }) => Object.assign(out, { at: s.now, code: err.code }),
    );
  });
  return out;
}

test("dial, write, echo and close: latencies add up and chunks arrive in order", async () => {
  const { s, a, b } = pair(constant(2));
  const got: string[] = [];
  s.at(0, () =>
    b.app!.transport.setStreamHandler(async (st) => {
      assert.equal(st.remote.host, a.ip);
      for (let c = await st.read(); c !== null; c = await st.read()) {
        got.push(`${str(c)}@${s.now}`);
        await st.write(c);
      }
      st.close();
    }),
  );
  const out = onA(s, async () => {
    const st = await a.app!.transport.dial(addrOf(b), 1000);
    const connectedAt = s.now;
    await st.write(text("one"));
    await st.write(text("two"));
    const r1 = str(await st.read());
    const r2 = str(await st.read());
    st.close();
    const after = await st.read();
    return { connectedAt, r1, r2, after, end: s.now };
  });
  await s.run(100);
  // SYN 1 -> 3, SYN-ACK back at 5; data at 7, echoes back at 9.
  assert.deepEqual(out.value, { connectedAt: 5, r1: "one", r2: "two", after: null, end: 9 });
  assert.deepEqual(got, ["one@7", "two@7"]);
});

test("chunks stay in order per direction under heavy jitter", async () => {
  const { s, a, b } = pair(
    { latency: { kind: "exponential", baseMs: 0.1, meanMs: 5 }, loss: 0.2, duplicate: 0 },
    9,
  );
  const got: string[] = [];
  s.at(0, () =>
    b.app!.transport.setStreamHandler(async (st) => {
      for (let c = await st.read(); c !== null; c = await st.read()) got.push(str(c)!);
    }),
  );
  onA(s, async () => {
    const st = await a.app!.transport.dial(addrOf(b), 5000);
    for (let i = 0; i < 200; i++) await st.write(text(`${i},`));
    st.close();
  });
  await s.run(60000);
  assert.equal(got.join(""), Array.from({ length: 200 }, (_, i) => `${i},`).join(""));
});

test("dialing a stopped process on a live host is refused after one round trip", async () => {
  const { s, a, b } = pair(constant(3));
  s.shutdown(b.id, { atMs: 0 });
  const out = onA(s, () => a.app!.transport.dial(addrOf(b), 1000));
  await s.run(100);
  assert.equal(b.status, "stopped");
  assert.deepEqual(out, { at: 7, code: "ERR_NETWORK" });
});

test("dialing a crashed host, an unknown address or across a partition times out", async () => {
  for (const fault of ["crash", "unknown", "partition"] as const) {
    const { s, a, b } = pair(constant(3));
    if (fault === "crash") s.crash(b.id, { atMs: 0 });
    if (fault === "partition") s.partition([a.id], [b.id], { atMs: 0, oneWay: true });
    const target = fault === "unknown" ? { host: "10.9.9.9", port: 7946 } : addrOf(b);
    const out = onA(s, () => a.app!.transport.dial(target, 250));
    await s.run(1000);
    assert.deepEqual(out, { at: 251, code: "ERR_NETWORK" }, fault);
  }
});

test("a crashed process on a live host resets its streams; a dead host leaves them hanging", async () => {
  for (const hostDown of [false, true]) {
    const { s, a, b } = pair(constant(1));
    let serverSide: Stream | null = null;
    s.at(0, () =>
      b.app!.transport.setStreamHandler((st) => {
        serverSide = st;
      }),
    );
    const out = onA(s, async () => {
      const st = await a.app!.transport.dial(addrOf(b), 1000);
      const r = await st.read();
      return { r, at: s.now };
    });
    s.crash(b.id, { atMs: 10, hostDown });
    await s.run(5000);
    assert.ok(serverSide !== null);
    if (hostDown) assert.deepEqual(out, {}, "read still pending");
    else assert.deepEqual(out.value, { r: null, at: 11 });
  }
});

test("writing after the peer closed fails with a NetworkError", async () => {
  const { s, a, b } = pair(constant(1));
  s.at(0, () => b.app!.transport.setStreamHandler((st) => st.close()));
  const out = onA(s, async () => {
    const st = await a.app!.transport.dial(addrOf(b), 1000);
    assert.equal(await st.read(), null);
    await st.write(text("late"));
  });
  await s.run(100);
  assert.equal(out.code, "ERR_NETWORK");
});

test("a partition during an exchange stalls the stream until the application gives up", async () => {
  const { s, a, b } = pair(constant(1));
  s.at(0, () =>
    b.app!.transport.setStreamHandler(async (st) => {
      const c = await st.read();
      if (c !== null) await st.write(c);
    }),
  );
  s.partition([a.id], [b.id], { atMs: 3.5 });
  const out = onA(s, async () => {
    const st = await a.app!.transport.dial(addrOf(b), 1000);
    await st.write(text("ping"));
    const timer = a.app!.runtime.setTimer(500, () => st.close());
    const r = await st.read();
    timer.cancel();
    return { r, at: s.now };
  });
  await s.run(2000);
  assert.deepEqual(out.value, { r: null, at: 503 });
});

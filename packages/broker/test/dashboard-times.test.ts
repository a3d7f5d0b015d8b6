/** The dashboard's "for Ns" counts from the node's start; a dead member shows no stale RTT. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBroker } from "../src/broker.ts";
import { withRtt } from "../src/dashboard/feed.ts";
import { RttTracker } from "../src/dashboard/rtt.ts";
import type { DashboardMember } from "../src/dashboard/snapshot.ts";

test('"for Ns" counts from the node\'s start, not from the first dashboard visit', async () => {
  let now = 1_000;
  const broker = createBroker({ dashboard: { now: () => now } });
  try {
    now = 61_000; // the first visit, a minute later
    const snap = broker.dashboard!.snapshot();
    const self = snap.members.find((m) => m.local)!;
    assert.equal(self.since, 1_000);
  } finally {
    await broker.close();
  }
});

test("a dead or departed member shows no round trip; a live one shows its last", () => {
  const rtt = new RttTracker(16, () => 5_000);
  rtt.notifyPingComplete({ name: "b" } as Parameters<RttTracker["notifyPingComplete"]>[0], 1.234);
  const member = (state: string): DashboardMember => ({
    name: "b",
    state,
    incarnation: 1,
    gossipAddr: "127.0.0.1:1",
    httpAddr: null,
    meta: "",
    local: false,
    rttMs: null,
    rttAt: null,
    since: 0,
    reaped: false,
  });
  assert.equal(withRtt(member("alive"), rtt).rttMs, 1.23);
  assert.equal(withRtt(member("suspect"), rtt).rttMs, 1.23);
  assert.equal(withRtt(member("dead"), rtt).rttMs, null);
  assert.equal(withRtt(member("left"), rtt).rttMs, null);
});

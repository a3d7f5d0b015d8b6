/**
 * Every broker run is a new origin, so replication's per-origin seq map would grow with every
 * restart in the cluster, forever. Past its cap it drops departed origins whose events every
 * history has expired, and keeps the live ones and the recent ones.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BrokerEvent } from "../src/core/event.ts";
import { Hub } from "../src/core/hub.ts";
import { waitFor } from "./helpers.ts";

function event(origin: string, seq: number, time: number): BrokerEvent {
  return { origin, seq, time, channel: "c", data: "x" } as BrokerEvent;
}

test("the per-origin seq map drops departed, expired origins past its cap, never a live or recent one", async () => {
  let clock = 1_000_000;
  const hub = new Hub({
    history: { maxEvents: 100, maxAgeMs: 100 },
    maxBufferBytes: 1 << 20,
    heartbeatMs: 0,
    retryMs: 1000,
    retryJitter: 0,
    outboxEvents: 10,
    readyEvent: false,
    maxOrigins: 3,
    now: () => clock,
  });
  try {
    hub.isLiveOrigin = (origin) => origin === "live0001";
    // Peers still naming an origin in their `have`s must not keep it forever: they judge alike.
    hub.mayStillArrive = () => true;
    for (const origin of ["gone0001", "live0001", "gone0002", "gone0003", "gone0004"])
      hub.apply(event(origin, 5, clock));
    clock += 1_000; // every history expired them
    hub.apply(event("recent01", 1, clock));
    await waitFor(() => hub.applied.size <= 3, "the map back under its cap", 5_000);
    assert.deepEqual([...hub.applied.keys()].sort(), ["gone0004", "live0001", "recent01"]);
    assert.equal(hub.counters.originsPruned, 3);
  } finally {
    hub.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  pushPullScale,
  retransmitLimit,
  suspicionConfirmationsWanted,
  suspicionTimeout,
} from "../../src/swim/formulas.ts";

test("retransmit limit is mult * ceil(log10(n+1))", () => {
  assert.equal(retransmitLimit(4, 0), 0);
  for (const n of [1, 5, 9]) assert.equal(retransmitLimit(4, n), 4);
  for (const n of [10, 50, 99]) assert.equal(retransmitLimit(4, n), 8);
  for (const n of [100, 999]) assert.equal(retransmitLimit(4, n), 12);
  assert.equal(retransmitLimit(4, 1000), 16);
});

test("suspicion timeout matches the wire document's LAN table", () => {
  // SuspicionMult 4, ProbeInterval 1 s: n <= 10 -> 4 s, 50 -> 6.792 s, 100 -> 8 s, 1000 -> 12 s.
  assert.equal(suspicionTimeout(4, 1, 1000), 4000);
  assert.equal(suspicionTimeout(4, 10, 1000), 4000);
  assert.equal(suspicionTimeout(4, 50, 1000), 6792);
  assert.equal(suspicionTimeout(4, 100, 1000), 8000);
  assert.equal(suspicionTimeout(4, 1000, 1000), 12000);
  assert.equal(suspicionTimeout(4, 0, 1000), 4000);
});

test("confirmations wanted drop to zero in tiny clusters", () => {
  assert.equal(suspicionConfirmationsWanted(4, 3), 0);
  assert.equal(suspicionConfirmationsWanted(4, 4), 2);
  assert.equal(suspicionConfirmationsWanted(3, 3), 1);
  assert.equal(suspicionConfirmationsWanted(3, 2), 0);
});

test("push/pull interval scales with cluster size above 32", () => {
  assert.equal(pushPullScale(30_000, 1), 30_000);
  assert.equal(pushPullScale(30_000, 32), 30_000);
  assert.equal(pushPullScale(30_000, 33), 60_000);
  assert.equal(pushPullScale(30_000, 64), 60_000);
  assert.equal(pushPullScale(30_000, 65), 90_000);
  assert.equal(pushPullScale(30_000, 128), 90_000);
  assert.equal(pushPullScale(30_000, 256), 120_000);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Awareness } from "../../src/swim/awareness.ts";
import { Suspicion } from "../../src/swim/suspicion.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

test("with no confirmations wanted, the suspicion lasts exactly min", () => {
  const rt = new FakeRuntime();
  let fired: number | null = null;
  new Suspicion(rt, "accuser", 0, 4000, 24000, (n) => {
    fired = n;
  });
  rt.advance(3999);
  assert.equal(fired, null);
  rt.advance(1);
  assert.equal(fired, 0);
});

test("starts at max and decays logarithmically with independent confirmations", () => {
  const rt = new FakeRuntime();
  let firedAt = -1;
  const s = new Suspicion(rt, "a", 2, 4000, 24000, () => {
    firedAt = rt.now();
  });
  assert.equal(s.confirm("a"), false, "the accuser cannot confirm");
  rt.advance(1000);
  assert.equal(s.confirm("b"), true);
  assert.equal(s.confirm("b"), false, "a confirmer counts once");
  // After 1 of 2: max - ln2/ln3 * (max - min) = 24000 - 0.6309 * 20000 = 11381 ms.
  rt.advance(11381 - 1000 - 1);
  assert.equal(firedAt, -1);
  rt.advance(1);
  assert.equal(firedAt, 11381);
});

test("the k-th confirmation brings the timeout down to min, firing at once if already past", () => {
  const rt = new FakeRuntime();
  let fired = 0;
  const s = new Suspicion(rt, "a", 2, 4000, 24000, () => fired++);
  rt.advance(5000);
  s.confirm("b");
  assert.equal(s.confirm("c"), true);
  assert.equal(s.confirm("d"), false, "no more than k confirmations count");
  rt.advance(0);
  assert.equal(fired, 1);
  rt.advance(100_000);
  assert.equal(fired, 1, "fires once");
});

test("cancel stops the timer", () => {
  const rt = new FakeRuntime();
  let fired = false;
  const s = new Suspicion(rt, "a", 0, 10, 60, () => {
    fired = true;
  });
  s.cancel();
  rt.advance(1000);
  assert.equal(fired, false);
});

test("awareness clamps to [0, max-1] and scales timeouts", () => {
  const a = new Awareness(8);
  a.applyDelta(-1);
  assert.equal(a.getHealthScore(), 0);
  assert.equal(a.scaleTimeout(1000), 1000);
  a.applyDelta(3);
  assert.equal(a.scaleTimeout(1000), 4000);
  a.applyDelta(100);
  assert.equal(a.getHealthScore(), 7);
  assert.equal(a.scaleTimeout(1000), 8000);
});

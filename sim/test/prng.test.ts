import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng, StreamPurpose } from "../src/prng.ts";

test("the same seed parts give the same sequence", () => {
  const a = new Rng(42, StreamPurpose.Process, 7);
  const b = new Rng(42, StreamPurpose.Process, 7);
  for (let i = 0; i < 1000; i++) assert.equal(a.uint32(), b.uint32());
});

test("sub-streams differ by seed, purpose and id, including ids beyond 32 bits", () => {
  const first = (r: Rng) => [r.uint32(), r.uint32(), r.uint32()].join(",");
  const seen = new Set<string>();
  const variants = [
    new Rng(42, StreamPurpose.Process, 7),
    new Rng(43, StreamPurpose.Process, 7),
    new Rng(42, StreamPurpose.Network, 7),
    new Rng(42, StreamPurpose.Process, 8),
    new Rng(42, StreamPurpose.Process, 7, 2),
    new Rng(42 + 2 ** 40, StreamPurpose.Process, 7),
  ];
  for (const r of variants) seen.add(first(r));
  assert.equal(seen.size, variants.length);
});

test("10,000 node streams have distinct first outputs pairs (no seed collisions)", () => {
  const seen = new Set<string>();
  for (let id = 0; id < 10000; id++) {
    const r = new Rng(1, StreamPurpose.Process, id, 1);
    seen.add(`${r.uint32()}:${r.uint32()}`);
  }
  assert.equal(seen.size, 10000);
});

test("float is in [0, 1) with a plausible mean and spread", () => {
  const r = new Rng(9);
  let sum = 0;
  let min = 1;
  let max = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) {
    const x = r.float();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  // Standard error of the mean is 1/sqrt(12 n) ~ 0.00065: 0.003 is > 4 sigma.
  assert.ok(Math.abs(sum / n - 0.5) < 0.003, `mean ${sum / n}`);
  assert.ok(min < 0.001 && max > 0.999);
});

test("int(n) covers every value of a small range about evenly", () => {
  const r = new Rng(5);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100000; i++) counts[r.int(10)]!++;
  for (const c of counts) assert.ok(c > 9500 && c < 10500, `count ${c}`);
});

test("exponential and normal have the expected moments", () => {
  const r = new Rng(11);
  const n = 100000;
  let e = 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    e += r.exponential(3);
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(e / n - 3) < 0.06, `exp mean ${e / n}`);
  assert.ok(Math.abs(s / n) < 0.02, `normal mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.03, `normal var ${s2 / n}`);
});

test("bytes(n) gives n bytes for every small n and varies", () => {
  const r = new Rng(3);
  for (let n = 0; n < 20; n++) assert.equal(r.bytes(n).length, n);
  const a = r.bytes(12);
  const b = r.bytes(12);
  assert.notDeepEqual(a, b);
  const big = r.bytes(4096);
  const distinct = new Set(big);
  assert.ok(distinct.size > 250);
});

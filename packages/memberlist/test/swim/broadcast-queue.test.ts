import assert from "node:assert/strict";
import { test } from "node:test";
import type { Broadcast, NamedBroadcast, UniqueBroadcast } from "../../src/swim/broadcast-queue.ts";
import { TransmitLimitedQueue } from "../../src/swim/broadcast-queue.ts";

class Named implements NamedBroadcast {
  finishedCount = 0;
  constructor(
    readonly key: string,
    readonly bytes: Uint8Array,
  ) {}
  name() {
    return this.key;
  }
  invalidates(o: Broadcast) {
    return (o as Named).key === this.key;
  }
  message() {
    return this.bytes;
  }
  finished() {
    this.finishedCount++;
  }
}

class Unique implements UniqueBroadcast {
  finishedCount = 0;
  constructor(readonly bytes: Uint8Array) {}
  unique(): true {
    return true;
  }
  invalidates() {
    return true;
  }
  message() {
    return this.bytes;
  }
  finished() {
    this.finishedCount++;
  }
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

test("a named broadcast replaces the queued one with the same name, finishing it", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  const a1 = new Named("a", bytes(5));
  const a2 = new Named("a", bytes(6));
  q.queueBroadcast(a1);
  q.queueBroadcast(new Named("b", bytes(5)));
  q.queueBroadcast(a2);
  assert.equal(q.numQueued(), 2);
  assert.equal(a1.finishedCount, 1);
  assert.equal(a2.finishedCount, 0);
});

test("unique broadcasts are never invalidated", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  q.queueBroadcast(new Unique(bytes(3)));
  q.queueBroadcast(new Unique(bytes(3)));
  assert.equal(q.numQueued(), 2);
});

test("least-transmitted first, then largest that fits, then newest", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  q.queueBroadcast(new Named("small", bytes(10, 1)));
  q.queueBroadcast(new Named("big", bytes(30, 2)));
  q.queueBroadcast(new Named("mid", bytes(20, 3)));
  // Budget for overhead 2 + 30 + 2 + 20 = 54: big then mid; small no longer fits.
  const first = q.getBroadcasts(2, 55);
  assert.deepEqual(
    first.map((m) => m.length),
    [30, 20],
  );
  // Now "small" is the only one with 0 transmits: it goes first, then the largest of tier 1.
  const second = q.getBroadcasts(2, 45);
  assert.deepEqual(
    second.map((m) => m.length),
    [10, 30],
  );
});

test("each broadcast is sent exactly the retransmit limit times, then finished", () => {
  let n = 10; // limit = 4 * ceil(log10(11)) = 8
  const q = new TransmitLimitedQueue(() => n, 4);
  const b = new Named("x", bytes(4));
  q.queueBroadcast(b);
  let sends = 0;
  for (let i = 0; i < 20; i++) sends += q.getBroadcasts(2, 100).length;
  assert.equal(sends, 8);
  assert.equal(b.finishedCount, 1);
  assert.equal(q.numQueued(), 0);
  n = 0; // limit 0 still sends once
  const c = new Named("y", bytes(4));
  q.queueBroadcast(c);
  assert.equal(q.getBroadcasts(2, 100).length, 1);
  assert.equal(q.numQueued(), 0);
});

test("a broadcast is not taken twice in one call", () => {
  const q = new TransmitLimitedQueue(() => 100, 4);
  q.queueBroadcast(new Named("only", bytes(4)));
  assert.equal(q.getBroadcasts(1, 1000).length, 1);
});

test("nothing is returned when nothing fits", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  q.queueBroadcast(new Named("x", bytes(100)));
  assert.deepEqual(q.getBroadcasts(2, 50), []);
  assert.equal(q.numQueued(), 1);
});

test("prune keeps the least-sent and newest", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  const items = [0, 1, 2, 3, 4].map((i) => new Named(`n${i}`, bytes(4)));
  for (const it of items) q.queueBroadcast(it);
  q.getBroadcasts(2, 6); // one item (the newest, n4) moves to tier 1
  q.prune(2);
  assert.equal(q.numQueued(), 2);
  assert.equal(items[4]!.finishedCount, 1, "the most-sent goes first");
  assert.equal(items[0]!.finishedCount, 1, "then the oldest");
});

test("reset finishes everything", () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  const a = new Named("a", bytes(4));
  q.queueBroadcast(a);
  q.reset();
  assert.equal(q.numQueued(), 0);
  assert.equal(a.finishedCount, 1);
});

/**
 * The queue against a naive model of memberlist's rules (least-sent tier first; in a tier the largest
 * that fits, then the newest; retire after the retransmit limit; a name replaces its predecessor),
 * over random sequences of operations.
 */
test("matches a naive model of memberlist's queue on random operation sequences", async () => {
  const fc = (await import("fast-check")).default;
  type Op =
    | { kind: "named"; name: number; len: number }
    | { kind: "unique"; len: number }
    | { kind: "get"; overhead: number; limit: number }
    | { kind: "prune"; keep: number };
  const op: import("fast-check").Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("named" as const),
      name: fc.integer({ min: 0, max: 5 }),
      len: fc.integer({ min: 1, max: 40 }),
    }),
    fc.record({ kind: fc.constant("unique" as const), len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({
      kind: fc.constant("get" as const),
      overhead: fc.integer({ min: 0, max: 3 }),
      limit: fc.integer({ min: 0, max: 120 }),
    }),
    fc.record({ kind: fc.constant("prune" as const), keep: fc.integer({ min: 0, max: 6 }) }),
  );

  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 200 }), (ops, n) => {
      const log: string[] = [];
      const model: { tag: string; len: number; id: number; t: number; name?: number }[] = [];
      let nextId = 0;
      let seq = 0;
      const q = new TransmitLimitedQueue(() => n, 2);
      const limitT = Math.max(1, 2 * Math.ceil(Math.log10(n + 1)));
      const finishedModel: string[] = [];
      const tagOf = new Map<Uint8Array, string>();
      for (const o of ops) {
        if (o.kind === "named" || o.kind === "unique") {
          const tag = `m${seq++}`;
          const bytes = new Uint8Array(o.len);
          tagOf.set(bytes, tag);
          const b =
            o.kind === "named"
              ? {
                  name: () => `n${o.name}`,
                  invalidates: () => false,
                  message: () => bytes,
                  finished: () => log.push(tag),
                }
              : {
                  unique: () => true as const,
                  invalidates: () => true,
                  message: () => bytes,
                  finished: () => log.push(tag),
                };
          if (model.length === 0) nextId = 0;
          if (o.kind === "named") {
            const i = model.findIndex((m) => m.name === o.name);
            if (i >= 0) finishedModel.push(model.splice(i, 1)[0]!.tag);
          }
          model.push({
            tag,
            len: o.len,
            id: nextId++,
            t: 0,
            ...(o.kind === "named" ? { name: o.name } : {}),
          });
          q.queueBroadcast(b as never);
        } else if (o.kind === "get") {
          const got = q.getBroadcasts(o.overhead, o.limit).map((m) => tagOf.get(m));
          const expected: string[] = [];
          const reinsert: typeof model = [];
          let used = 0;
          const tiers = [...new Set(model.map((m) => m.t))].sort((a, b) => a - b);
          outer: for (const t of tiers) {
            for (;;) {
              const free = o.limit - used - o.overhead;
              if (free <= 0) break outer;
              const fits = model.filter((m) => m.t === t && m.len <= free);
              if (fits.length === 0) break;
              fits.sort((a, b) => b.len - a.len || b.id - a.id);
              const pick = fits[0]!;
              model.splice(model.indexOf(pick), 1);
              used += o.overhead + pick.len;
              expected.push(pick.tag);
              if (pick.t + 1 >= limitT) finishedModel.push(pick.tag);
              else reinsert.push({ ...pick, t: pick.t + 1 });
            }
          }
          model.push(...reinsert);
          assert.deepEqual(got, expected);
        } else {
          q.prune(o.keep);
          if (model.length > o.keep) {
            const victims = [...model]
              .sort((a, b) => b.t - a.t || a.id - b.id)
              .slice(0, model.length - o.keep);
            for (const v of victims) {
              model.splice(model.indexOf(v), 1);
              finishedModel.push(v.tag);
            }
          }
        }
        assert.equal(q.numQueued(), model.length);
      }
      assert.deepEqual([...log].sort(), [...finishedModel].sort());
    }),
    { seed: 42, numRuns: 300 },
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EventQueue } from "../src/event-queue.ts";

test("empty queue", () => {
  const q = new EventQueue<string>();
  assert.equal(q.size, 0);
  assert.equal(q.pop(), undefined);
  assert.equal(q.peekTime(), Number.POSITIVE_INFINITY);
});

test("pops by time, and ties in insertion order", () => {
  const q = new EventQueue<string>();
  q.push(5, "e1");
  q.push(1, "a");
  q.push(5, "e2");
  q.push(3, "c");
  q.push(5, "e3");
  q.push(0, "z");
  const out: string[] = [];
  for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
  assert.deepEqual(out, ["z", "a", "c", "e1", "e2", "e3"]);
});

test("matches a stable sort for any interleaving of pushes and pops (grows past its initial size)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 3000 }),
      (ops) => {
        const q = new EventQueue<number>();
        const model: { t: number; id: number }[] = [];
        let id = 0;
        for (const op of ops) {
          if (op === -1) {
            model.sort((x, y) => x.t - y.t || x.id - y.id);
            const want = model.shift();
            assert.equal(q.pop(), want?.id);
          } else {
            q.push(op, id);
            model.push({ t: op, id });
            id++;
          }
          assert.equal(q.size, model.length);
        }
        model.sort((x, y) => x.t - y.t || x.id - y.id);
        for (const m of model) assert.equal(q.pop(), m.id);
      },
    ),
    { numRuns: 60, seed: 1 },
  );
});

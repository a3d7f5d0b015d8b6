import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HandlerSlot } from "../../src/transport/handler-slot.ts";

function quietLogger(errors: string[] = [], warnings: string[] = []) {
  return {
    debug() {},
    info() {},
    warn: (m: string) => warnings.push(m),
    error: (m: string) => errors.push(m),
  };
}

describe("HandlerSlot", () => {
  it("queues items until a handler is set, then delivers them asynchronously and in order", async () => {
    const slot = new HandlerSlot<number>("test", 10, quietLogger(), () => {});
    slot.push(1);
    slot.push(2);
    const got: number[] = [];
    slot.set((n) => got.push(n));
    assert.deepEqual(got, [], "queued items are not delivered inside set()");
    slot.push(3); // arrives while the queue drains: must come after 1 and 2
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(got, [1, 2, 3]);
    slot.push(4);
    assert.deepEqual(got, [1, 2, 3, 4], "with a handler and nothing queued, delivery is immediate");
  });

  it("drops items beyond the limit while no handler is set", () => {
    const dropped: number[] = [];
    const warnings: string[] = [];
    const slot = new HandlerSlot<number>("test", 2, quietLogger([], warnings), (n) => dropped.push(n));
    for (const n of [1, 2, 3, 4]) slot.push(n);
    assert.deepEqual(dropped, [3, 4]);
    assert.equal(warnings.length, 2);
    slot.clear();
    assert.deepEqual(dropped, [3, 4, 1, 2]);
  });

  it("logs a throwing handler instead of propagating", () => {
    const errors: string[] = [];
    const slot = new HandlerSlot<number>("test", 2, quietLogger(errors), () => {});
    slot.set(() => {
      throw new Error("boom");
    });
    assert.doesNotThrow(() => slot.push(1));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", /boom/);
  });
});

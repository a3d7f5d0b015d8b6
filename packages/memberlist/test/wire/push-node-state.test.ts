/**
 * The hand-written push/pull node state encoder must write exactly what the schema-driven encoder
 * writes, for every value the schema accepts, and fail the same way on values it rejects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ByteWriter } from "../../src/wire/bytes.ts";
import type { PushNodeState } from "../../src/wire/messages.ts";
import { encodePushNodeState, pushNodeStateSize } from "../../src/wire/push-node-state.ts";
import { encodeStruct, structSize } from "../../src/wire/schema.ts";
import { pushNodeStateSchema } from "../../src/wire/structs.ts";

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const uint = (max: number) =>
  fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, max), fc.integer({ min: 0, max }));

const nodeState: fc.Arbitrary<PushNodeState> = fc.record({
  name: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.constant("")),
  addr: fc.oneof(bytes(16), fc.constant(new Uint8Array(4))),
  port: uint(0xffff),
  meta: fc.oneof(
    { weight: 20, arbitrary: bytes(300) },
    { weight: 1, arbitrary: fc.integer({ min: 40_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(7)) },
  ),
  incarnation: uint(0xffff_ffff),
  state: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
  vsn: bytes(8),
});

function generic(n: PushNodeState): { bytes: Uint8Array; size: number } {
  const w = new ByteWriter(16);
  encodeStruct(w, pushNodeStateSchema, n);
  return { bytes: w.finish(), size: structSize(pushNodeStateSchema, n) };
}

function fast(n: PushNodeState): { bytes: Uint8Array; size: number } {
  const w = new ByteWriter(16);
  encodePushNodeState(w, n);
  return { bytes: w.finish(), size: pushNodeStateSize(n) };
}

describe("push/pull node state encoder", () => {
  it("writes the schema encoder's bytes and sizes", () => {
    fc.assert(
      fc.property(nodeState, (n) => {
        const want = generic(n);
        const got = fast(n);
        assert.deepEqual(got.bytes, want.bytes);
        assert.equal(got.size, want.size);
        // The size is exact for valid values: messages are allocated once.
        if (n.state >= 0) assert.equal(got.size, got.bytes.length);
      }),
      { seed: 20261122, numRuns: 3000 },
    );
  });

  it("rejects what the schema encoder rejects, with the same error", () => {
    const bad = [
      { port: 70_000 },
      { port: -1 },
      { incarnation: 2 ** 32 },
      { incarnation: 1.5 },
      { state: Number.NaN },
      { name: 7 },
      { addr: "10.0.0.1" },
    ];
    const base: PushNodeState = {
      name: "n",
      addr: new Uint8Array(4),
      port: 7946,
      meta: new Uint8Array(0),
      incarnation: 1,
      state: 0,
      vsn: Uint8Array.of(1, 5, 5, 2, 5, 4),
    };
    for (const change of bad) {
      const n = { ...base, ...change } as unknown as PushNodeState;
      assert.throws(
        () => generic(n),
        (err: Error) => {
          assert.throws(() => fast(n), { name: err.name, message: err.message });
          return true;
        },
      );
    }
  });
});

/**
 * The hand-written push/pull node state encoder must write exactly what the schema-driven encoder
 * writes, for every value the schema accepts, and fail the same way on values it rejects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ByteWriter } from "../../src/wire/bytes.ts";
import type { PushNodeState } from "../../src/wire/messages.ts";
import type { MsgpackReader } from "../../src/wire/msgpack.ts";
import {
  decodePushNodeState,
  encodePushNodeState,
  pushNodeStateSize,
} from "../../src/wire/push-node-state.ts";
import { decodeStruct, encodeStruct, structSize } from "../../src/wire/schema.ts";
import { pushNodeStateSchema } from "../../src/wire/structs.ts";
import { decodeOutcome } from "./helpers.ts";

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const uint = (max: number) =>
  fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, max), fc.integer({ min: 0, max }));

// Any Go int decodes as a state, so the encoders must handle every one.
const nodeState = fc.record({
  name: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.constant(""),
  ),
  addr: fc.oneof(bytes(16), fc.constant(new Uint8Array(4))),
  port: uint(0xffff),
  meta: fc.oneof(
    { weight: 20, arbitrary: bytes(300) },
    { weight: 1, arbitrary: fc.integer({ min: 40_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(7)) },
  ),
  incarnation: uint(0xffff_ffff),
  state: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
  vsn: bytes(8),
}) as fc.Arbitrary<PushNodeState>;

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

const viaSchema = (r: MsgpackReader) => decodeStruct(r, pushNodeStateSchema);

describe("push/pull node state decoder", () => {
  it("reads Go's layout, and any mutation of it, exactly as the schema decoder does", () => {
    const mutated = fc.tuple(
      nodeState,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.nat(),
    );
    fc.assert(
      fc.property(mutated, ([n, flips, cut]) => {
        const w = new ByteWriter(16);
        encodePushNodeState(w, n);
        const bytes = w.finish().slice();
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        const input = flips.length > 0 && cut % 4 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
        assert.deepEqual(decodeOutcome(decodePushNodeState, input), decodeOutcome(viaSchema, input));
      }),
      { seed: 20261123, numRuns: 4000 },
    );
  });

  it("reads other layouts (array form, other key orders, unknown keys) through the schema decoder", () => {
    // Array form, in Go declaration order: Name, Addr, Port, Meta, Incarnation, State, Vsn.
    const array = Uint8Array.of(
      0x97,
      0xa1,
      0x6e,
      0xc4,
      4,
      10,
      0,
      0,
      1,
      0xcd,
      0x1f,
      0x0a,
      0xc0,
      3,
      0,
      0x96,
      1,
      5,
      2,
      0,
      0,
      0,
    );
    // A map with Name first and an unknown key.
    const map = Uint8Array.of(0x82, 0xa4, 0x4e, 0x61, 0x6d, 0x65, 0xa1, 0x6e, 0xa3, 0x58, 0x58, 0x58, 0x01);
    for (const input of [array, map]) {
      const got = decodeOutcome(decodePushNodeState, input);
      assert.deepEqual(got, decodeOutcome(viaSchema, input));
      assert.equal((got as { value: PushNodeState }).value.name, "n");
    }
  });
});

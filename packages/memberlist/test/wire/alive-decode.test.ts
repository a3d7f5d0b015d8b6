/**
 * The direct alive decoder must read every input exactly as the schema decoder does: Go's layout, any
 * mutation or truncation of it (same value and end position, or the same error), and other layouts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeAlive } from "../../src/wire/alive-decode.ts";
import { ByteWriter } from "../../src/wire/bytes.ts";
import type { Alive } from "../../src/wire/messages.ts";
import type { MsgpackReader } from "../../src/wire/msgpack.ts";
import { decodeStruct, encodeStruct } from "../../src/wire/schema.ts";
import { aliveSchema } from "../../src/wire/structs.ts";
import { decodeOutcome } from "./helpers.ts";

const uint = (max: number) =>
  fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, max), fc.integer({ min: 0, max }));

const alive: fc.Arbitrary<Alive> = fc.record(
  {
    incarnation: uint(0xffff_ffff),
    node: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 })),
    addr: fc.uint8Array({ maxLength: 16 }),
    port: uint(0xffff),
    meta: fc.uint8Array({ maxLength: 300 }),
    vsn: fc.uint8Array({ maxLength: 8 }),
  },
  { noNullPrototype: true },
);

const viaSchema = (r: MsgpackReader) => decodeStruct(r, aliveSchema);

describe("alive decoder", () => {
  it("reads Go's layout, and any mutation or truncation of it, exactly as the schema decoder does", () => {
    const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 });
    fc.assert(
      fc.property(alive, flips, fc.nat(), (a, changes, cut) => {
        const w = new ByteWriter(16);
        encodeStruct(w, aliveSchema, a);
        const bytes = w.finish().slice();
        if (changes.length === 0) {
          const got = decodeOutcome(decodeAlive, bytes) as { value: Alive };
          assert.deepEqual(got.value, a);
        }
        for (const [at, v] of changes) bytes[at % bytes.length] = v;
        const input = cut % 4 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
        assert.deepEqual(decodeOutcome(decodeAlive, input), decodeOutcome(viaSchema, input));
      }),
      { seed: 20261124, numRuns: 4000 },
    );
  });

  it("reads other layouts through the schema decoder", () => {
    // Array form in Go declaration order (Incarnation, Node, Addr, Port, Meta, Vsn), and a map whose
    // keys are out of order with an unknown key.
    const array = Uint8Array.of(0x96, 7, 0xa1, 0x6e, 0xc4, 4, 10, 0, 0, 1, 0xcd, 0x1f, 0x0a, 0xc0, 0xc0);
    const map = Uint8Array.of(0x82, 0xa4, 0x4e, 0x6f, 0x64, 0x65, 0xa1, 0x6e, 0xa1, 0x58, 0x01);
    for (const input of [array, map]) {
      const got = decodeOutcome(decodeAlive, input);
      assert.deepEqual(got, decodeOutcome(viaSchema, input));
      assert.equal((got as { value: Alive }).value.node, "n");
    }
  });
});

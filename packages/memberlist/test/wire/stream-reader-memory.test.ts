/**
 * What a StreamReader holds while a frame is still arriving: memory follows the bytes received, never
 * the length a sender announces, and a shared ByteBudget bounds many readers together (issue 10,
 * "Partial frames").
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LimitError, NetworkError } from "../../src/errors.ts";
import { ByteBudget } from "../../src/wire/byte-budget.ts";
import { StreamReader } from "../../src/wire/stream-reader.ts";
import { FakeStream, ManualTimers } from "./fake-stream.ts";

const MiB = 1024 * 1024;

/** A 4-byte big-endian length, then that many bytes. */
function lengthPrefixed(buf: Uint8Array): number | undefined {
  if (buf.length < 4) return undefined;
  return 4 + new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
}

/** The first `n` bytes of a frame that announces `announced` body bytes. */
function partialFrame(announced: number, n: number): Uint8Array {
  const out = new Uint8Array(n).fill(7);
  new DataView(out.buffer).setUint32(0, announced);
  return out;
}

const settle = () => new Promise((r) => setImmediate(r));
const deadline = () => ({ timeoutMs: 60_000, setTimer: new ManualTimers().setTimer });

describe("StreamReader memory under partial frames", () => {
  it("holds what arrived, not the 20 MiB a sender announced", async () => {
    const readers = 8;
    const before = process.memoryUsage().arrayBuffers;
    const pending: Promise<unknown>[] = [];
    const streams: FakeStream[] = [];
    const held: StreamReader[] = [];
    for (let i = 0; i < readers; i++) {
      const stream = new FakeStream();
      const reader = new StreamReader(stream);
      pending.push(reader.readFrame(lengthPrefixed, 21 * MiB, deadline()).catch((e: unknown) => e));
      // Two chunks: the second one makes the reader merge, which is where it used to size the buffer
      // for the whole announced frame.
      stream.feed(partialFrame(20 * MiB, 1024));
      stream.feed(new Uint8Array(1024));
      streams.push(stream);
      held.push(reader);
    }
    await settle();
    const grown = process.memoryUsage().arrayBuffers - before;
    // 8 × 2 KiB arrived; the old reader allocated 8 × 20 MiB here.
    assert.ok(grown < 4 * MiB, `readers grew array buffers by ${(grown / MiB).toFixed(1)} MiB`);
    for (const r of held) assert.ok(r.heldBytes <= 8192, `a reader holds ${r.heldBytes} bytes`);
    for (const s of streams) s.close();
    for (const result of await Promise.all(pending)) assert.ok(result instanceof NetworkError);
    for (const r of held) assert.equal(r.heldBytes, 0, "a failed read gives its buffer back");
  });

  it("holds about what arrived while a frame trickles in, and assembles it in order", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const body = 300_000;
    const wire = new Uint8Array(4 + body);
    new DataView(wire.buffer).setUint32(0, body);
    for (let i = 4; i < wire.length; i++) wire[i] = (i * 7) & 0xff;
    const read = reader.readFrame(lengthPrefixed, 400_000, deadline());
    // Chunks of every size class: tiny ones (packed into blocks) and large ones (kept as they are).
    const sizes = [14, 1, 3, 1000, 20_000, 7, 64 * 1024, 2, 5000];
    let fed = 0;
    for (let k = 0; fed < wire.length; k++) {
      const n = Math.min(sizes[k % sizes.length]!, wire.length - fed);
      stream.feed(wire.subarray(fed, fed + n));
      fed += n;
      await settle();
      if (fed < wire.length) {
        // What arrived, plus spare room in blocks that is never more than that (or one 4 KiB block).
        assert.ok(reader.heldBytes <= 2 * fed + 4096, `${reader.heldBytes} held after ${fed}`);
      }
    }
    assert.deepEqual(await read, wire);
    assert.equal(reader.heldBytes, 0);
  });

  it("keeps many readers under one budget, refusing the one that would pass it", async () => {
    const budget = new ByteBudget(256 * 1024);
    const streams: FakeStream[] = [];
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const stream = new FakeStream();
      const reader = new StreamReader(stream, budget);
      results.push(reader.readFrame(lengthPrefixed, 21 * MiB, deadline()).catch((e: unknown) => e));
      streams.push(stream);
    }
    // Each sender pushes 100 KiB of a 20 MiB frame, in 10 KiB chunks: 400 KiB in all.
    for (let k = 0; k < 10; k++) {
      for (const s of streams)
        s.feed(k === 0 ? partialFrame(20 * MiB, 10 * 1024) : new Uint8Array(10 * 1024));
      await settle();
      assert.ok(budget.inUse <= budget.limit, `${budget.inUse} bytes reserved`);
    }
    const refused = streams.filter((s) => s.closed).length;
    assert.ok(refused >= 1, "a sender past the budget has its stream closed");
    for (const s of streams) s.close();
    const outcomes = await Promise.all(results);
    assert.ok(outcomes.some((o) => o instanceof LimitError && o.code === "ERR_LIMIT"));
    assert.equal(budget.inUse, 0, "every reader gave its bytes back when its stream ended");
  });

  it("release() gives a finished reader's surplus back", async () => {
    const budget = new ByteBudget(MiB);
    const stream = new FakeStream();
    const reader = new StreamReader(stream, budget);
    const frame = partialFrame(10, 14);
    const next = partialFrame(1000, 50);
    const wire = new Uint8Array(frame.length + next.length);
    wire.set(frame);
    wire.set(next, frame.length);
    stream.feed(wire);
    assert.equal((await reader.readFrame(lengthPrefixed, MiB, deadline())).length, 14);
    assert.ok(budget.inUse > 0, "the surplus of the next frame is held");
    reader.release();
    assert.equal(budget.inUse, 0);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DecodeError, NetworkError, TimeoutError } from "../../src/errors.ts";
import { StreamReader } from "../../src/wire/stream-reader.ts";
import { patternBytes } from "../transport/helpers.ts";
import { FakeStream, ManualTimers } from "./fake-stream.ts";

/** A 4-byte big-endian length, then that many bytes: the frame is header + body. */
function lengthPrefixed(buf: Uint8Array): number | undefined {
  if (buf.length < 4) return undefined;
  return 4 + new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
}

function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const NO_TIMEOUT = () => ({ timeoutMs: 60_000, setTimer: new ManualTimers().setTimer });

describe("StreamReader.readFrame", () => {
  it("assembles a frame fed one byte at a time and keeps the surplus for the next read", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const a = frame(patternBytes(37, 1));
    const b = frame(patternBytes(5, 2));
    const wire = concat(a, b);
    for (const byte of wire) stream.feed(Uint8Array.of(byte));
    assert.deepEqual(await reader.readFrame(lengthPrefixed, 1000, NO_TIMEOUT()), a);
    assert.deepEqual(await reader.readFrame(lengthPrefixed, 1000, NO_TIMEOUT()), b);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("returns several frames from one chunk, each one a stable copy", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const frames = [10, 0, 300, 1, 64].map((n, i) => frame(patternBytes(n, i + 1)));
    stream.feed(concat(...frames.slice(0, 3)));
    stream.feed(concat(...frames.slice(3)));
    const got: Uint8Array[] = [];
    for (let i = 0; i < frames.length; i++)
      got.push(await reader.readFrame(lengthPrefixed, 1000, NO_TIMEOUT()));
    // Checked only at the end: a later read must not have overwritten an earlier result.
    assert.deepEqual(got, frames);
  });

  it("treats a length of 0 as an empty frame that consumes nothing", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    stream.feed(Uint8Array.of(7, 8, 9));
    const optionalHeader = (buf: Uint8Array) => (buf.length === 0 ? undefined : buf[0] === 244 ? 2 : 0);
    assert.deepEqual(await reader.readFrame(optionalHeader, 10, NO_TIMEOUT()), new Uint8Array(0));
    assert.deepEqual(await reader.readExact(3), Uint8Array.of(7, 8, 9));
  });

  it("stops asking frameLength once the length is known", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const body = patternBytes(2000, 5);
    for (const byte of frame(body)) stream.feed(Uint8Array.of(byte));
    let calls = 0;
    const counted = (buf: Uint8Array) => {
      calls++;
      return lengthPrefixed(buf);
    };
    const got = await reader.readFrame(counted, 5000, NO_TIMEOUT());
    assert.deepEqual(got.subarray(4), body);
    assert.ok(calls <= 5, `frameLength called ${calls} times for a 4-byte header`);
  });

  it("rejects with TimeoutError at the deadline, closes the stream, and stays failed", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const timers = new ManualTimers();
    stream.feed(Uint8Array.of(0, 0, 0, 9, 1)); // an incomplete frame
    const reading = reader.readFrame(lengthPrefixed, 100, { timeoutMs: 250, setTimer: timers.setTimer });
    await Promise.resolve();
    assert.equal(timers.armed[0]?.ms, 250);
    timers.fireAll();
    await assert.rejects(reading, TimeoutError);
    assert.ok(stream.closed);
    await assert.rejects(reader.readExact(1), TimeoutError);
  });

  it("needs no timer when the frame is already buffered, and cancels it after success", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const timers = new ManualTimers();
    stream.feed(concat(frame(Uint8Array.of(1)), frame(Uint8Array.of(2))));
    await reader.readFrame(lengthPrefixed, 100, { timeoutMs: 0, setTimer: timers.setTimer });
    // The second frame is buffered already: an expired deadline does not matter.
    assert.deepEqual(
      await reader.readFrame(lengthPrefixed, 100, { timeoutMs: 0, setTimer: timers.setTimer }),
      frame(Uint8Array.of(2)),
    );
    const third = reader.readFrame(lengthPrefixed, 100, { timeoutMs: 1000, setTimer: timers.setTimer });
    stream.feed(frame(Uint8Array.of(3)));
    assert.deepEqual(await third, frame(Uint8Array.of(3)));
    assert.equal(timers.live, 0, "the timer of a completed read is cancelled");
    assert.equal(stream.closed, false);
  });

  it("rejects with DecodeError when more than maxBytes arrive without a complete frame", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const neverComplete = () => undefined;
    stream.feed(new Uint8Array(60));
    stream.feed(new Uint8Array(60));
    await assert.rejects(reader.readFrame(neverComplete, 100, NO_TIMEOUT()), DecodeError);
    assert.equal(stream.reads, 2, "stops reading once past the limit");
    assert.equal(stream.closed, false, "the caller may still send an error reply");
    await assert.rejects(reader.readExact(1), DecodeError);
  });

  it("rejects a declared length above maxBytes before its bytes arrive", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    stream.feed(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    await assert.rejects(reader.readFrame(lengthPrefixed, 1 << 20, NO_TIMEOUT()), (err) => {
      assert.ok(err instanceof DecodeError);
      assert.match(err.message, /exceeds the limit/);
      return true;
    });
    assert.equal(stream.reads, 1);
  });

  it("rejects with NetworkError when the stream ends before a whole frame", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    stream.feed(Uint8Array.of(0, 0, 0, 5, 1, 2));
    stream.feed(null);
    await assert.rejects(reader.readFrame(lengthPrefixed, 100, NO_TIMEOUT()), (err) => {
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /connection closed/);
      return true;
    });
    const empty = new FakeStream();
    empty.feed(null);
    await assert.rejects(new StreamReader(empty).readExact(1), NetworkError);
  });

  it("turns what frameLength throws or returns wrongly into a DecodeError", async () => {
    const cases: Array<(buf: Uint8Array) => number | undefined> = [
      () => {
        throw new Error("not a frame");
      },
      () => {
        throw new DecodeError("typed");
      },
      () => -1,
      () => 1.5,
      () => Number.NaN,
    ];
    for (const frameLength of cases) {
      const stream = new FakeStream();
      stream.feed(Uint8Array.of(1));
      await assert.rejects(new StreamReader(stream).readFrame(frameLength, 100, NO_TIMEOUT()), DecodeError);
    }
  });

  it("turns a failing stream read into a NetworkError", async () => {
    const stream = new FakeStream();
    stream.read = () => Promise.reject(new Error("socket exploded"));
    await assert.rejects(new StreamReader(stream).readExact(1), (err) => {
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /socket exploded/);
      return true;
    });
  });

  it("refuses a second read while one is in progress", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const first = reader.readExact(2);
    await assert.rejects(reader.readExact(1), NetworkError);
    stream.feed(Uint8Array.of(1, 2));
    assert.deepEqual(await first, Uint8Array.of(1, 2));
  });

  it("property: any chunking of any frames yields the same frames", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        async (bodies, cuts) => {
          const frames = bodies.map(frame);
          const wire = concat(...frames);
          const stream = new FakeStream();
          for (let at = 0, i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            stream.feed(wire.slice(at, at + n));
            at += n;
          }
          stream.feed(null);
          const reader = new StreamReader(stream);
          const got: Uint8Array[] = [];
          for (let i = 0; i < frames.length; i++)
            got.push(await reader.readFrame(lengthPrefixed, 1000, NO_TIMEOUT()));
          assert.deepEqual(got, frames);
          await assert.rejects(reader.readExact(1), NetworkError);
        },
      ),
      { numRuns: 200, seed: 13 },
    );
  });
});

describe("StreamReader.readExact", () => {
  it("reads exact counts across chunk boundaries", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    stream.feed(Uint8Array.of(1, 2, 3));
    stream.feed(Uint8Array.of(4, 5));
    stream.feed(Uint8Array.of(6));
    assert.deepEqual(await reader.readExact(2), Uint8Array.of(1, 2));
    assert.deepEqual(await reader.readExact(0), new Uint8Array(0));
    assert.deepEqual(await reader.readExact(4), Uint8Array.of(3, 4, 5, 6));
    await assert.rejects(reader.readExact(-1), DecodeError);
  });

  it("handles a 4 MiB read in 4 KiB chunks", async () => {
    const stream = new FakeStream();
    const reader = new StreamReader(stream);
    const payload = patternBytes(4 * 1024 * 1024, 3);
    for (let at = 0; at < payload.length; at += 4096) stream.feed(payload.subarray(at, at + 4096));
    assert.deepEqual(await reader.readExact(payload.length), payload);
  });
});

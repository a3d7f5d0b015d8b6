import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { ReplicationError } from "../src/errors.ts";
import { LinkCipher } from "../src/replication/cipher.ts";
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from "../src/replication/frames.ts";
import { fromWire, parseMessage, toWire } from "../src/replication/messages.ts";

test("frames survive any chunking", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.integer({ min: 1, max: 50 }),
      (payloads, step) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
        const reader = new FrameReader();
        const out: Buffer[] = [];
        for (let i = 0; i < stream.length; i += step) out.push(...reader.push(stream.subarray(i, i + step)));
        assert.deepEqual(
          out.map((b) => [...b]),
          payloads.map((p) => [...p]),
        );
      },
    ),
    { seed: 11, numRuns: 100 },
  );
});

test("an oversized frame header is refused before anything is buffered", () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME_BYTES + 1);
  assert.throws(() => new FrameReader().push(head), ReplicationError);
});

test("link cipher: both directions round-trip; tampering, reordering and a wrong key fail", () => {
  const key = randomBytes(32);
  const cn = randomBytes(16);
  const sn = randomBytes(16);
  const client = new LinkCipher(key, cn, sn, "client");
  const server = new LinkCipher(key, cn, sn, "server");
  const m1 = client.seal(Buffer.from("one"));
  const m2 = client.seal(Buffer.from("two"));
  assert.equal(server.open(m1).toString(), "one");
  assert.equal(server.open(m2).toString(), "two");
  assert.equal(client.open(server.seal(Buffer.from("back"))).toString(), "back");

  const fresh = new LinkCipher(key, cn, sn, "server");
  assert.throws(() => fresh.open(m2), ReplicationError, "out of order");
  const tampered = Buffer.from(client.seal(Buffer.from("x")));
  tampered[0]! ^= 1;
  assert.throws(() => server.open(tampered), ReplicationError);
  const intruder = new LinkCipher(randomBytes(32), cn, sn, "client");
  assert.throws(
    () => new LinkCipher(key, cn, sn, "server").open(intruder.seal(Buffer.from("x"))),
    ReplicationError,
  );
  assert.throws(() => server.open(Buffer.alloc(3)), ReplicationError);
});

test("wire events round-trip and bad ones are refused with a typed error", () => {
  const ev = {
    origin: "AbCdEfGh",
    seq: 7,
    time: 123,
    channel: "c",
    data: "d",
    event: "e",
    client: "k",
    retry: 5,
    userId: "u",
  };
  assert.deepEqual(fromWire("AbCdEfGh", toWire(ev)), ev);
  const bad: unknown[] = [
    null,
    [],
    [0, 1, "c", "d", null, null, null, null],
    [1, 1, "bad name", "d", null, null, null, null],
    [1, 1, "c", 5, null, null, null, null],
    [1, 1, "c", "d", "a\nb", null, null, null],
    [1, 1, "c", "d", null, "bad client", null, null],
    [1, 1, "c", "d", null, null, -1, null],
    [1.5, 1, "c", "d", null, null, null, null],
    [1, Number.NaN, "c", "d", null, null, null, null],
  ];
  for (const w of bad) assert.throws(() => fromWire("AbCdEfGh", w), ReplicationError, JSON.stringify(w));
});

test("garbage messages never crash the parser", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        parseMessage(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof ReplicationError);
      }
    }),
    { seed: 12, numRuns: 100 },
  );
  for (const text of [
    '{"t":"hello"}',
    '{"t":"welcome","node":"x","acked":-1}',
    '{"t":"ack","s":"1"}',
    '{"t":"nope"}',
    "[]",
    "1",
  ]) {
    assert.throws(() => parseMessage(Buffer.from(text)), ReplicationError, text);
  }
});

test("a link whose peer falls silent (a stuck connection after a partition) is closed by its watchdog", async () => {
  const { Link } = await import("../src/replication/link.ts");
  const { nodeTimers } = await import("../src/core/node-timers.ts");
  let closed = false;
  // A stream that accepts writes and never delivers a byte, nor an end: what a partition leaves.
  const silent = {
    remote: { host: "127.0.0.1", port: 1 },
    read: () => new Promise<Uint8Array | null>(() => {}),
    write: async () => {},
    close: () => {
      closed = true;
    },
  };
  let error: Error | undefined;
  const link = new Link(silent, nodeTimers, null, "client", 200);
  link.onClose = (err) => {
    error = err;
  };
  const deadline = Date.now() + 10_000;
  while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, true);
  assert.match(String(error?.message), /silent/);
});

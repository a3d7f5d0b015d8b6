import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCursor, encodeCursor } from "../src/core/cursor.ts";
import type { BrokerEvent } from "../src/core/event.ts";
import { History } from "../src/core/history.ts";
import { comment, frameBody, isFieldValue, jitteredRetry, withId } from "../src/sse/frame.ts";

test("single-line data is one data: line", () => {
  assert.equal(frameBody({ data: "hello" }), "data: hello\n\n");
});

test("multi-line data gets one data: line per line, whatever the line ending", () => {
  assert.equal(frameBody({ data: "a\nb\r\nc\rd" }), "data: a\ndata: b\ndata: c\ndata: d\n\n");
  assert.equal(frameBody({ data: "x\n" }), "data: x\ndata: \n\n");
  assert.equal(frameBody({ data: "" }), "data: \n\n");
});

test("pretty-printed JSON survives framing", () => {
  const json = JSON.stringify({ a: 1, b: [2, 3] }, null, 2);
  const framed = frameBody({ data: json });
  const lines = framed
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => l.slice(6));
  assert.equal(lines.join("\n"), json);
});

test("event and retry fields precede data; id is prefixed", () => {
  assert.equal(frameBody({ event: "tick", retry: 1500, data: "1" }), "event: tick\nretry: 1500\ndata: 1\n\n");
  assert.equal(withId("c", "data: 1\n\n"), "id: c\ndata: 1\n\n");
});

test("comments cannot break out of their line", () => {
  assert.equal(comment("a\nb"), ": a b\n\n");
});

test("field values reject CR, LF and NUL", () => {
  assert.equal(isFieldValue("ok"), true);
  assert.equal(isFieldValue("a\rb"), false);
  assert.equal(isFieldValue("a\nb"), false);
  assert.equal(isFieldValue("a\0b"), false);
});

test("jittered retry spreads within the band", () => {
  assert.equal(
    jitteredRetry(1000, 0.5, () => 0),
    500,
  );
  assert.equal(
    jitteredRetry(1000, 0.5, () => 1),
    1500,
  );
  assert.equal(
    jitteredRetry(1000, 0, () => 0.7),
    1000,
  );
});

test("cursor round-trips and rejects foreign ids", () => {
  const v = new Map([
    ["AbCdEfGh", 1],
    ["Zz_-0123", 123456789],
  ]);
  const text = encodeCursor(v);
  assert.match(text, /^c[A-Za-z0-9_.~-]+$/);
  assert.deepEqual(decodeCursor(text), v);
  assert.deepEqual(decodeCursor("c"), new Map());
  for (const bad of ["", "x", "42", "cAbc", "cA.1~A.2", "c.1", "cA.!!", `c${"A".repeat(5000)}`]) {
    assert.equal(decodeCursor(bad), null, bad);
  }
});

function ev(origin: string, seq: number, time = 0): BrokerEvent {
  return { origin, seq, time, channel: "c", data: String(seq) };
}

test("history keeps the newest events and remembers what it evicted", () => {
  const h = new History({ maxEvents: 3, maxAgeMs: 1e9 });
  for (let i = 1; i <= 5; i++) h.append(ev("o", i));
  const seen: number[] = [];
  h.forEachAfter(new Map(), (e) => seen.push(e.seq));
  assert.deepEqual(seen, [3, 4, 5]);
  assert.equal(h.hasGapFor(new Map([["o", 1]])), true);
  assert.equal(h.hasGapFor(new Map([["o", 2]])), false);
  const after: number[] = [];
  h.forEachAfter(new Map([["o", 4]]), (e) => after.push(e.seq));
  assert.deepEqual(after, [5]);
});

test("history expires by age", () => {
  const h = new History({ maxEvents: 100, maxAgeMs: 1000 });
  h.append(ev("o", 1, 0));
  h.append(ev("o", 2, 500));
  h.append(ev("o", 3, 1500));
  h.expire(1400);
  assert.equal(h.size, 2);
  assert.equal(h.evicted.get("o"), 1);
});

test("history is also bounded by payload bytes", () => {
  const h = new History({ maxEvents: 100, maxAgeMs: 1e9, maxBytes: 10 });
  for (let i = 1; i <= 5; i++) h.append({ origin: "o", seq: i, time: 0, channel: "c", data: "abcd" });
  assert.equal(h.size, 2);
  assert.equal(h.evicted.get("o"), 3);
});

test("the origin log keeps the newest events within its bounds", async () => {
  const { OriginLog } = await import("../src/core/origin-log.ts");
  const log = new OriginLog(3, 1e9);
  for (let i = 1; i <= 5000; i++) log.append({ origin: "o", seq: i, time: 0, channel: "c", data: "x" });
  assert.equal(log.firstSeq, 4998);
  assert.deepEqual(
    log.after(0, 10).map((e) => e.seq),
    [4998, 4999, 5000],
  );
  assert.deepEqual(
    log.after(4998, 10).map((e) => e.seq),
    [4999, 5000],
  );
  const small = new OriginLog(100, 5);
  for (let i = 1; i <= 4; i++) small.append({ origin: "o", seq: i, time: 0, channel: "c", data: "abc" });
  assert.deepEqual(
    small.after(0, 10).map((e) => e.seq),
    [4],
  );
});

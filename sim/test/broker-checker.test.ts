import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeCursor } from "@shoal/broker";
import { checkRun, describeVerdict, type Rule } from "../src/broker/checker.ts";
import type {
  PublishRecord,
  RunHistory,
  StreamFrame,
  StreamSession,
  SubscriberRecord,
} from "../src/broker/history.ts";

type Vec = Record<string, number>;
const cursor = (v: Vec) => encodeCursor(new Map(Object.entries(v)));

/**
 * A session from a compact script: "ready" (the cursor so far), "reset", or [token, origin, seq]
 * (an event whose id is the cursor so far with origin moved to seq). Times count up from `at`.
 */
type Step = "ready" | "reset" | { ready: Vec } | [string, string, number];
function session(node: string, at: number, from: Vec | null, script: Step[]): StreamSession {
  let v: Vec = { ...(from ?? {}) };
  let t = at;
  const frames: StreamFrame[] = script.map((s) => {
    t++;
    if (s === "ready") return { kind: "ready", id: cursor(v), at: t };
    if (!Array.isArray(s) && typeof s === "object") {
      v = { ...s.ready };
      return { kind: "ready", id: cursor(v), at: t };
    }
    if (s === "reset") return { kind: "reset", at: t };
    const [token, origin, seq] = s as [string, string, number];
    v[origin] = seq;
    return { kind: "event", token, id: cursor(v), at: t };
  });
  return { node, openedAt: at, lastEventId: from === null ? null : cursor(from), frames };
}

const sub = (name: string, sessions: StreamSession[], connectedAtEnd = true): SubscriberRecord => ({
  name,
  channel: "c",
  sessions,
  connectedAtEnd,
});

function pub(
  token: string,
  node: string,
  at: number,
  outcome: PublishRecord["outcome"],
  id?: [string, number],
): PublishRecord {
  return {
    token,
    channel: "c",
    node,
    at,
    outcome,
    ...(outcome === "acked" ? { answeredAt: at + 1 } : {}),
    ...(id !== undefined ? { origin: id[0], seq: id[1] } : {}),
  };
}

/** Two origins (A on node a, B on node b), three events each, all acknowledged. */
const publishes: PublishRecord[] = [
  pub("a1", "a", 10, "acked", ["A", 1]),
  pub("b1", "b", 11, "acked", ["B", 1]),
  pub("a2", "a", 20, "acked", ["A", 2]),
  pub("b2", "b", 21, "acked", ["B", 2]),
  pub("a3", "a", 30, "acked", ["A", 3]),
  pub("b3", "b", 31, "acked", ["B", 3]),
];
const everything: [string, string, number][] = [
  ["a1", "A", 1],
  ["b1", "B", 1],
  ["a2", "A", 2],
  ["b2", "B", 2],
  ["a3", "A", 3],
  ["b3", "B", 3],
];

function rulesBroken(h: RunHistory): Rule[] {
  const v = checkRun(h);
  return (Object.keys(v.counts) as Rule[]).filter((r) => v.counts[r] > 0);
}

test("a clean run passes: live delivery, an exact resume on another node", () => {
  const h: RunHistory = {
    publishes,
    subscribers: [
      sub("s1", [session("a", 0, null, ["ready", ...everything])]),
      // Saw A.1, B.1, A.2, then resumed on b and got the rest, replay then ready.
      sub("s2", [
        session("a", 0, null, ["ready", ...everything.slice(0, 3)]),
        session("b", 25, { A: 2, B: 1 }, [everything[3]!, "ready", ...everything.slice(4)]),
      ]),
    ],
  };
  const v = checkRun(h);
  assert.equal(v.ok, true, describeVerdict(v));
  assert.equal(v.stats.acked, 6);
  assert.equal(v.stats.judged, 2);
  assert.equal(v.stats.resumes, 1);
  assert.equal(v.stats.required, 12);
  assert.equal(v.stats.deliveries, 12);
});

test("lost: an acknowledged event missing on a connected subscriber fails the run", () => {
  const h: RunHistory = {
    publishes,
    subscribers: [sub("s1", [session("a", 0, null, ["ready", ...everything.filter((e) => e[0] !== "a2")])])],
  };
  assert.deepEqual(rulesBroken(h), ["lost"]);
  assert.match(describeVerdict(checkRun(h)), /"a2" \(A\.2\)/);
});

test("lost: not judged for a subscriber that went away, nor for events it started after, nor unacknowledged ones", () => {
  const gone: RunHistory = {
    publishes,
    subscribers: [sub("s1", [session("a", 0, null, ["ready", ...everything.slice(0, 2)])], false)],
  };
  assert.deepEqual(rulesBroken(gone), []);
  // Started with a cursor past A.1 and B.1: those are not owed.
  const late: RunHistory = {
    publishes,
    subscribers: [sub("s1", [session("a", 15, null, [{ ready: { A: 1, B: 1 } }, ...everything.slice(2)])])],
  };
  assert.deepEqual(rulesBroken(late), []);
  const unacked: RunHistory = {
    publishes: [...publishes, pub("a4", "a", 40, "unanswered"), pub("a5", "a", 41, "refused")],
    subscribers: [sub("s1", [session("a", 0, null, ["ready", ...everything])])],
  };
  assert.deepEqual(rulesBroken(unacked), []);
});

test("lost: a reset at the head of a resume excuses what it covers, and only that", () => {
  // Resumed after A.1 on b; b sends reset and continues from {A:2, B:2}: a2, b1, b2 may be gone.
  const excused = session("b", 22, { A: 1 }, ["reset", { ready: { A: 2, B: 2 } }, ...everything.slice(4)]);
  const h: RunHistory = {
    publishes,
    subscribers: [sub("s1", [session("a", 0, null, ["ready", everything[0]!]), excused])],
  };
  assert.deepEqual(rulesBroken(h), []);
  // The same without the reset is a loss (b1, b2, a2) — and a resume that skipped past them.
  const silent = structuredClone(h);
  silent.subscribers[0]!.sessions[1]!.frames.shift();
  assert.equal(checkRun(silent).counts.lost, 3);
  // With the reset, a3 (past the ready cursor) is still owed.
  const stillOwed = structuredClone(h);
  stillOwed.subscribers[0]!.sessions[1] = session("b", 22, { A: 1 }, [
    "reset",
    { ready: { A: 2, B: 2 } },
    everything[5]!,
  ]);
  assert.deepEqual(rulesBroken(stillOwed), ["lost"]);
  assert.match(describeVerdict(checkRun(stillOwed)), /"a3"/);
});

test("duplicate: the same event twice, across sessions, fails", () => {
  const h: RunHistory = {
    publishes,
    subscribers: [
      sub("s1", [
        session("a", 0, null, ["ready", ...everything.slice(0, 3)]),
        // Resumed with a cursor that (wrongly) predates A.2: it comes again.
        session("b", 25, { A: 1, B: 1 }, [everything[2]!, "ready", ...everything.slice(3)]),
      ]),
    ],
  };
  assert.deepEqual(rulesBroken(h), ["duplicate"]);
});

test("order: an origin's events out of seq order fail", () => {
  const swapped = [
    everything[0]!,
    everything[1]!,
    everything[4]!,
    everything[3]!,
    everything[2]!,
    everything[5]!,
  ];
  // Built by hand: the ids are the feed's cursor, so a late A.2 moves the cursor back on A.
  const frames: StreamFrame[] = [{ kind: "ready", id: "c", at: 1 }];
  const v: Vec = {};
  let t = 1;
  for (const [token, origin, seq] of swapped) {
    v[origin] = seq;
    frames.push({ kind: "event", token, id: cursor(v), at: ++t });
  }
  const h: RunHistory = {
    publishes,
    subscribers: [sub("s1", [{ node: "a", openedAt: 0, lastEventId: null, frames }])],
  };
  const broken = rulesBroken(h);
  assert.ok(broken.includes("order"), broken.join());
});

test("resume-gap: a resume that skips what its node had shown, without reset, fails even when unacknowledged", () => {
  const ps = [...publishes, pub("a4", "a", 40, "unanswered")];
  const withA4: [string, string, number][] = [...everything, ["a4", "A", 4]];
  const h: RunHistory = {
    publishes: ps,
    subscribers: [
      // Another subscriber on b saw a4 at time 45.
      sub("witness", [session("b", 40, { A: 3, B: 3 }, ["ready", withA4[6]!])]),
      sub("s1", [
        session("a", 0, null, ["ready", ...everything]),
        // Resumed on b at 50 after B.3 and A.3: b had shown a4 and replays nothing.
        session("b", 50, { A: 3, B: 3 }, ["ready"]),
      ]),
    ],
  };
  assert.deepEqual(rulesBroken(h), ["resume-gap"]);
  // With a reset first, the node owned up to it.
  const honest = structuredClone(h);
  honest.subscribers[1]!.sessions[1]!.frames.unshift({ kind: "reset", at: 50.5 });
  assert.deepEqual(rulesBroken(honest), []);
  // Runs named: the same run of b showed a4, so the gap stands.
  const sameRun = structuredClone(h);
  for (const s of sameRun.subscribers) for (const x of s.sessions) if (x.node === "b") x.run = "b-run1";
  assert.deepEqual(rulesBroken(sameRun), ["resume-gap"]);
  // b was restarted in between: the new run never had the unacknowledged a4 (it died with the
  // run that showed it), so there is nothing it could replay or owe a reset for.
  const restarted = structuredClone(sameRun);
  restarted.subscribers[1]!.sessions[1]!.run = "b-run2";
  assert.deepEqual(rulesBroken(restarted), []);
});

test("cursor: an id that moves two origins, goes back, or does not decode fails", () => {
  const two: RunHistory = {
    publishes,
    subscribers: [
      sub(
        "s1",
        [
          {
            node: "a",
            openedAt: 0,
            lastEventId: null,
            frames: [
              { kind: "ready", id: "c", at: 1 },
              { kind: "event", token: "a1", id: cursor({ A: 1, B: 1 }), at: 2 },
            ],
          },
        ],
        false,
      ),
    ],
  };
  assert.deepEqual(rulesBroken(two), ["cursor"]);
  const back = structuredClone(two);
  back.subscribers[0]!.sessions[0]!.frames = [
    { kind: "ready", id: cursor({ B: 2 }), at: 1 },
    { kind: "event", token: "a1", id: cursor({ A: 1 }), at: 2 },
  ];
  assert.deepEqual(rulesBroken(back), ["cursor"]);
  const junk = structuredClone(two);
  junk.subscribers[0]!.sessions[0]!.frames = [{ kind: "ready", id: "not a cursor", at: 1 }];
  assert.deepEqual(rulesBroken(junk), ["cursor"]);
});

test("identity and phantom: an event under another identity than acknowledged, or never published", () => {
  const h: RunHistory = {
    publishes,
    subscribers: [sub("s1", [session("a", 0, null, ["ready", ["a1", "A", 2], ["zz", "Z", 1]])], false)],
  };
  assert.deepEqual(rulesBroken(h).sort(), ["identity", "phantom"]);
});

test("a reset mid-stream excuses what it skipped up to the next cursor, no more", () => {
  const h: RunHistory = {
    publishes,
    subscribers: [
      sub("s1", [
        session("a", 0, null, [
          "ready",
          everything[0]!,
          everything[1]!,
          "reset",
          everything[4]!,
          everything[5]!,
        ]),
      ]),
    ],
  };
  // a2 and b2 lie below the cursor after the reset ({A:3, B:1}... b2 does not): b2 is still owed.
  const v = checkRun(h);
  assert.equal(v.counts.lost, 1, describeVerdict(v));
  assert.match(describeVerdict(v), /"b2"/);
});

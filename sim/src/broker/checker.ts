/**
 * Judges a broker run (see {@link RunHistory}) against what the broker promises:
 *
 * - **lost**: every acknowledged (2xx) event reaches every subscriber that stayed connected or
 *   resumed, unless a `reset` told it that it missed something;
 * - **duplicate**: no subscriber gets an event twice, across all its sessions;
 * - **order**: each subscriber gets each origin's events in seq order;
 * - **resume-gap**: a resume without `reset` replays every event of the channel the node (the
 *   same run of it, when the history says which) had shown anyone before the resume and the cursor
 *   had not seen;
 * - **cursor** / **identity** / **phantom**: every `id:` is a cursor that moves exactly one origin
 *   forward per event and never back, matches the origin and seq the publisher was told, and names
 *   an event that was published on that channel.
 *
 * The origin and seq of a delivered event come from its `id:`: the one origin entry that moved.
 * Pure: no clock, no I/O.
 */
import { decodeCursor, type Vector } from "@shoal/broker";
import type { PublishRecord, RunHistory, SubscriberRecord } from "./history.ts";

export type Rule = "lost" | "duplicate" | "order" | "resume-gap" | "cursor" | "identity" | "phantom";

export const RULES: readonly Rule[] = [
  "lost",
  "duplicate",
  "order",
  "resume-gap",
  "cursor",
  "identity",
  "phantom",
];

export interface Violation {
  rule: Rule;
  subscriber: string;
  message: string;
}

export interface CheckStats {
  publishes: number;
  acked: number;
  refused: number;
  unanswered: number;
  subscribers: number;
  /** Subscribers connected at the end, held to the "lost" rule. */
  judged: number;
  deliveries: number;
  sessions: number;
  resumes: number;
  resets: number;
  /** (acked event, judged subscriber) pairs that had to be delivered. */
  required: number;
}

export interface Verdict {
  ok: boolean;
  /** Violations by rule (all counted, at most {@link MAX_KEPT} of each kept with details). */
  counts: Record<Rule, number>;
  violations: Violation[];
  stats: CheckStats;
}

/** Details kept per rule: one run with a systematic bug would otherwise print thousands. */
export const MAX_KEPT = 10;

interface Delivered {
  origin: string;
  seq: number;
  token: string;
  at: number;
}

/** Judges one run. */
export function checkRun(history: RunHistory): Verdict {
  const counts = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>;
  const violations: Violation[] = [];
  const report = (rule: Rule, subscriber: string, message: string): void => {
    counts[rule]++;
    if (counts[rule] <= MAX_KEPT) violations.push({ rule, subscriber, message });
  };
  const byToken = new Map<string, PublishRecord>();
  for (const p of history.publishes) byToken.set(p.token, p);

  // Pass 1: walk every stream, decode identities, check duplicates, order, cursors.
  const walks = history.subscribers.map((sub) => walk(sub, byToken, report));
  // What each node showed anyone, and the identity of every token seen anywhere.
  const shownOn = new Map<string, Delivered[]>();
  const identity = new Map<string, { origin: string; seq: number }>();
  for (const w of walks) {
    for (const s of w.sessions) {
      const key = `${s.run}\u0000${w.sub.channel}`;
      let list = shownOn.get(key);
      if (list === undefined) {
        list = [];
        shownOn.set(key, list);
      }
      for (const d of s.delivered) {
        list.push(d);
        identity.set(d.token, { origin: d.origin, seq: d.seq });
      }
    }
  }

  const stats: CheckStats = {
    publishes: history.publishes.length,
    acked: 0,
    refused: 0,
    unanswered: 0,
    subscribers: history.subscribers.length,
    judged: 0,
    deliveries: 0,
    sessions: 0,
    resumes: 0,
    resets: 0,
    required: 0,
  };
  for (const p of history.publishes) {
    if (p.outcome === "acked") stats.acked++;
    else if (p.outcome === "refused") stats.refused++;
    else stats.unanswered++;
  }

  for (const w of walks) {
    stats.deliveries += w.tokens.size;
    stats.sessions += w.sessions.length;
    stats.resets += w.resets;
    // Resumes: a resume without a reset replays what its node had shown before it opened.
    for (const s of w.sessions) {
      if (s.cursor === null) continue;
      stats.resumes++;
      if (s.resetBeforeFirstId) continue;
      const mine = new Set(s.delivered.map((d) => d.token));
      for (const d of shownOn.get(`${s.run}\u0000${w.sub.channel}`) ?? []) {
        if (d.at >= s.openedAt || d.seq <= (s.cursor.get(d.origin) ?? 0) || mine.has(d.token)) continue;
        report(
          "resume-gap",
          w.sub.name,
          `resumed on ${s.node} at ${s.openedAt} with cursor past ${d.origin}.${d.seq - 1}, ` +
            `which that node had shown at ${d.at} ("${d.token}"), and neither replayed it nor sent reset`,
        );
      }
    }
    if (!w.sub.connectedAtEnd) continue;
    stats.judged++;
    const firstOpened = w.sub.sessions[0]?.openedAt ?? Number.POSITIVE_INFINITY;
    for (const p of history.publishes) {
      if (p.outcome !== "acked" || p.channel !== w.sub.channel) continue;
      const id =
        p.origin !== undefined && p.seq !== undefined
          ? { origin: p.origin, seq: p.seq }
          : identity.get(p.token);
      // Before the subscription: covered by its starting cursor (or, without one, sent before it).
      if (id !== undefined && w.baseline !== null) {
        if (id.seq <= (w.baseline.get(id.origin) ?? 0)) continue;
      } else if (p.at < firstOpened) continue;
      if (w.tokens.has(p.token)) {
        stats.required++;
        continue;
      }
      if (id !== undefined && w.excusedUpTo.some((v) => id.seq <= (v.get(id.origin) ?? 0))) continue;
      if (w.excusedBefore.some((t) => p.at <= t)) continue;
      stats.required++;
      const where = id === undefined ? "" : ` (${id.origin}.${id.seq})`;
      report(
        "lost",
        w.sub.name,
        `acknowledged event "${p.token}"${where} published on ${p.node} at ${p.at} never reached it, and no reset said so`,
      );
    }
  }
  return { ok: violations.length === 0, counts, violations, stats };
}

interface SessionWalk {
  node: string;
  /** The run that served it (the node's name when the history does not say). */
  run: string;
  openedAt: number;
  /** Decoded Last-Event-ID (null: fresh). */
  cursor: Vector | null;
  resetBeforeFirstId: boolean;
  delivered: Delivered[];
}

interface SubscriberWalk {
  sub: SubscriberRecord;
  sessions: SessionWalk[];
  tokens: Set<string>;
  /** The first session's starting cursor (its `shoal-ready`), or null without one. */
  baseline: Vector | null;
  /** Events at or below any of these were announced missing by a reset. */
  excusedUpTo: Vector[];
  /** Events published at or before these times were announced missing (a reset with no cursor after). */
  excusedBefore: number[];
  resets: number;
}

function walk(
  sub: SubscriberRecord,
  byToken: Map<string, PublishRecord>,
  report: (rule: Rule, subscriber: string, message: string) => void,
): SubscriberWalk {
  const out: SubscriberWalk = {
    sub,
    sessions: [],
    tokens: new Set(),
    baseline: null,
    excusedUpTo: [],
    excusedBefore: [],
    resets: 0,
  };
  const seenIds = new Set<string>();
  const lastSeq = new Map<string, number>();
  for (const [i, session] of sub.sessions.entries()) {
    let prev: Vector = new Map();
    let cursor: Vector | null = null;
    if (session.lastEventId !== null) {
      cursor = decodeCursor(session.lastEventId);
      if (cursor === null) {
        report("cursor", sub.name, `session ${i} resumed with "${session.lastEventId}", not a cursor`);
        cursor = new Map();
      }
      prev = new Map(cursor);
    }
    const walked: SessionWalk = {
      node: session.node,
      run: session.run ?? session.node,
      openedAt: session.openedAt,
      cursor,
      resetBeforeFirstId: false,
      delivered: [],
    };
    out.sessions.push(walked);
    let pendingReset: number | null = null;
    let sawId = false;
    let sawReady = false;
    for (const frame of session.frames) {
      if (frame.kind === "reset") {
        out.resets++;
        // A reset in the head of a resume covers up to the ready cursor; one mid-stream, up to the
        // next cursor the stream gives.
        if (!sawId) walked.resetBeforeFirstId = true;
        else pendingReset = frame.at;
        if (frame.id === undefined) continue;
      }
      const v = decodeCursor(frame.id!);
      if (v === null) {
        report("cursor", sub.name, `session ${i} on ${session.node}: id "${frame.id}" is not a cursor`);
        continue;
      }
      const moved: string[] = [];
      for (const [origin, seq] of v) if (seq > (prev.get(origin) ?? 0)) moved.push(origin);
      let wentBack = false;
      for (const [origin, seq] of prev) {
        if ((v.get(origin) ?? 0) >= seq) continue;
        wentBack = true;
        report(
          "cursor",
          sub.name,
          `session ${i} on ${session.node}: cursor went back on ${origin} (${seq} -> ${v.get(origin) ?? 0}) at ${frame.at}`,
        );
      }
      if (frame.kind === "ready") {
        if (i === 0 && cursor === null) out.baseline = v;
        if (pendingReset !== null || walked.resetBeforeFirstId) out.excusedUpTo.push(v);
        pendingReset = null;
        sawId = true;
        sawReady = true;
        prev = v;
        continue;
      }
      if (frame.kind === "reset") {
        out.excusedUpTo.push(v);
        pendingReset = null;
        prev = v;
        continue;
      }
      sawId = true;
      prev = v;
      const pub = byToken.get(frame.token);
      let origin: string;
      if (moved.length === 1) origin = moved[0]!;
      else {
        if (!wentBack)
          report(
            "cursor",
            sub.name,
            `session ${i} on ${session.node}: the id after "${frame.token}" moved ${moved.length} origins (${moved.join(", ")})`,
          );
        // Still judge the event itself when the publisher was told who it is.
        if (pub?.origin === undefined || v.get(pub.origin) !== pub.seq) continue;
        origin = pub.origin;
      }
      const seq = v.get(origin)!;
      if (pub === undefined || pub.channel !== sub.channel) {
        report(
          "phantom",
          sub.name,
          `got "${frame.token}" (${origin}.${seq}), never published on ${sub.channel}`,
        );
        continue;
      }
      if (pub.origin !== undefined && (pub.origin !== origin || pub.seq !== seq)) {
        report(
          "identity",
          sub.name,
          `"${frame.token}" was acknowledged as ${pub.origin}.${pub.seq} but arrived as ${origin}.${seq}`,
        );
      }
      const key = `${origin}.${seq}`;
      if (out.tokens.has(frame.token) || seenIds.has(key)) {
        report(
          "duplicate",
          sub.name,
          `got "${frame.token}" (${key}) again, in session ${i} on ${session.node}`,
        );
        continue;
      }
      const last = lastSeq.get(origin) ?? 0;
      if (seq <= last)
        report(
          "order",
          sub.name,
          `got ${key} ("${frame.token}") after ${origin}.${last}, in session ${i} on ${session.node}`,
        );
      else lastSeq.set(origin, seq);
      out.tokens.add(frame.token);
      seenIds.add(key);
      walked.delivered.push({ origin, seq, token: frame.token, at: frame.at });
      if (pendingReset !== null) {
        // A reset mid-stream covers everything up to the event that follows it.
        out.excusedUpTo.push(v);
        pendingReset = null;
      }
    }
    if (pendingReset !== null) out.excusedBefore.push(pendingReset);
    // Without a ready frame, a leading reset covers up to the last cursor of the session.
    if (walked.resetBeforeFirstId && !sawReady) out.excusedUpTo.push(prev);
  }
  return out;
}

/** One line per rule with violations, then the kept details. */
export function describeVerdict(v: Verdict): string {
  if (v.ok) return "ok";
  const lines = RULES.filter((r) => v.counts[r] > 0).map((r) => `${r}: ${v.counts[r]}`);
  for (const x of v.violations) lines.push(`  [${x.rule}] ${x.subscriber}: ${x.message}`);
  return lines.join("\n");
}

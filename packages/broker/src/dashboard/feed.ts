/**
 * The dashboard's live feed: a read-only event stream of snapshots, one a second while anyone
 * watches, and one right away when membership changes. One snapshot is built per tick and
 * shared by every watcher; nothing runs on the publish path.
 */
import type { ServerResponse } from "node:http";
import type { Backplane } from "../backplane/backplane.ts";
import type { Hub } from "../core/hub.ts";
import type { Membership } from "../membership/membership.ts";
import type { Replicator } from "../replication/replicator.ts";
import { STREAM_HEADERS } from "../sse/frame.ts";
import { type MemberChange, type MemberSource, type MemberView, memberSourceFor } from "./members.ts";
import { RateSampler } from "./rate.ts";
import type { RttTracker } from "./rtt.ts";
import {
  channelCounts,
  type DashboardMember,
  type DashboardSnapshot,
  MAX_CHANGES,
  MAX_MEMBERS,
  type TimedChange,
} from "./snapshot.ts";

/** What the feed reads. */
export interface DashboardSources {
  hub: Hub;
  membership: Membership;
  replicator: Replicator;
  /** The event backplane, when one is configured. */
  backplane?: Backplane | null;
  /** Last RTT per member, when the memberlist was given this tracker as its ping delegate. */
  rtt?: RttTracker | null;
}

/** Tunables; all have defaults. */
export interface DashboardFeedOptions {
  /** Snapshot interval, ms (default 1000). */
  intervalMs?: number;
  /** Most dashboard streams at once (default 64); more get 503. */
  maxStreams?: number;
  /** Bytes a watcher may lag behind before it is dropped (default 256 KiB). */
  maxPendingBytes?: number;
  /** How long a forgotten member stays in the picture, ms (default 10 min). */
  departedTtlMs?: number;
  now?: () => number;
}

const MAX_DEPARTED = 64;
/** node-2 before node-10. */
const byName = new Intl.Collator("en", { numeric: true });
/** Membership changes come in bursts; one frame covers a burst. */
const CHANGE_DEBOUNCE_MS = 30;

export class DashboardFeed {
  private readonly streams = new Set<ServerResponse>();
  private readonly members: MemberSource;
  private readonly sampler: RateSampler;
  private readonly changes: TimedChange[] = [];
  /** name -> state and since when, for every member seen. */
  private readonly seen = new Map<string, { state: string; since: number }>();
  /** Members the memberlist no longer lists, kept for the picture. */
  private readonly departed = new Map<string, DashboardMember>();
  /** Members of the previous snapshot: what a forgotten member looked like last. */
  private readonly lastMembers = new Map<string, DashboardMember>();
  private readonly timer: NodeJS.Timeout;
  private soon: NodeJS.Timeout | null = null;
  private readonly unwatch: () => void;
  private readonly now: () => number;
  private readonly maxStreams: number;
  private readonly maxPending: number;
  private readonly departedTtl: number;
  private closed = false;

  constructor(
    private readonly sources: DashboardSources,
    options: DashboardFeedOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxStreams = options.maxStreams ?? 64;
    this.maxPending = options.maxPendingBytes ?? 256 * 1024;
    this.departedTtl = options.departedTtlMs ?? 10 * 60_000;
    this.members = memberSourceFor(sources.membership);
    const c = sources.hub.counters;
    this.sampler = new RateSampler(
      () => ({ events: c.published + c.received, delivered: c.delivered }),
      60,
      this.now,
    );
    this.unwatch = this.members.watch((change) => this.onChange(change));
    // "for Ns" counts from now (the node's start) for those already here, not from the first visit.
    const start = this.now();
    for (const m of this.members.list()) this.seen.set(m.name, { state: m.state, since: start });
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Open dashboard streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** The current picture (also what `GET /dashboard/snapshot` answers). */
  snapshot(): DashboardSnapshot {
    const { hub, replicator, rtt, backplane } = this.sources;
    const bp = backplane?.status() ?? null;
    const now = this.now();
    const local = this.members.localName;
    const current = this.members.list();
    const members = current.map((m) => this.decorate(m, m.name === local, now));
    this.forgetGone(current, now);
    this.lastMembers.clear();
    for (const m of members) this.lastMembers.set(m.name, m);
    for (const d of this.departed.values()) members.push(d);
    members.sort((a, b) => (a.local !== b.local ? (a.local ? -1 : 1) : byName.compare(a.name, b.name)));
    const channels = channelCounts(hub.clientsByChannel());
    const c = hub.counters;
    return {
      node: local,
      origin: hub.origin,
      time: now,
      healthScore: this.members.healthScore(),
      members: members.slice(0, MAX_MEMBERS).map((m) => withRtt(m, rtt ?? null)),
      memberCount: members.length,
      channels: channels.list,
      channelCount: channels.total,
      connections: hub.connectionCount,
      totals: { published: c.published, received: c.received, delivered: c.delivered },
      rates: this.sampler.history(),
      replication: replicator
        .linkStatus()
        .map((l) => ({ peer: l.peer, connected: l.connected, lagEvents: l.lagEvents })),
      changes: [...this.changes],
      backplane: bp === null ? null : { kind: bp.kind, target: bp.target, state: bp.state, since: bp.since },
    };
  }

  /**
   * Starts streaming snapshots on `res`. Returns false (and writes nothing) when the stream limit
   * is reached; the caller answers 503.
   */
  open(res: ServerResponse): boolean {
    if (this.closed || this.streams.size >= this.maxStreams) return false;
    res.writeHead(200, { ...STREAM_HEADERS, "X-Content-Type-Options": "nosniff" });
    res.socket?.setNoDelay(true);
    this.streams.add(res);
    res.on("close", () => this.streams.delete(res));
    this.send(res, `retry: 2000\n\n${frame(this.snapshot())}`);
    return true;
  }

  /** Ends every stream and stops the timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.soon !== null) clearTimeout(this.soon);
    this.unwatch();
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private tick(): void {
    this.sampler.sample();
    if (this.streams.size > 0) this.broadcast();
  }

  private broadcast(): void {
    const text = frame(this.snapshot());
    for (const res of this.streams) this.send(res, text);
  }

  private send(res: ServerResponse, text: string): void {
    // A watcher that does not read is dropped rather than buffered without bound; it reconnects.
    if (res.writableLength > this.maxPending) {
      res.destroy();
      this.streams.delete(res);
      return;
    }
    res.write(text);
  }

  private onChange(change: MemberChange): void {
    const time = this.now();
    this.changes.push({ ...change, time });
    if (this.changes.length > MAX_CHANGES) this.changes.shift();
    const before = this.seen.get(change.node);
    if (before === undefined || before.state !== change.state)
      this.seen.set(change.node, { state: change.state, since: time });
    if (change.type === "join") this.departed.delete(change.node);
    if (this.streams.size > 0 && this.soon === null) {
      this.soon = setTimeout(() => {
        this.soon = null;
        if (!this.closed && this.streams.size > 0) this.broadcast();
      }, CHANGE_DEBOUNCE_MS);
      this.soon.unref();
    }
  }

  private decorate(m: MemberView, local: boolean, now: number): DashboardMember {
    let seen = this.seen.get(m.name);
    if (seen === undefined || seen.state !== m.state) {
      seen = { state: m.state, since: now };
      this.seen.set(m.name, seen);
    }
    this.departed.delete(m.name);
    return { ...m, local, rttMs: null, rttAt: null, since: seen.since, reaped: false };
  }

  /** Members seen before and no longer listed move to `departed`, for a while. */
  private forgetGone(current: MemberView[], now: number): void {
    const listed = new Set(current.map((m) => m.name));
    for (const [name, seen] of this.seen) {
      if (listed.has(name) || this.departed.has(name)) continue;
      const last = this.lastMembers.get(name);
      this.seen.delete(name);
      if (last === undefined) continue;
      const state = seen.state === "left" ? "left" : "dead";
      this.departed.set(name, { ...last, state, since: seen.since, reaped: true });
    }
    for (const [name, d] of this.departed) {
      if (now - d.since > this.departedTtl || this.departed.size > MAX_DEPARTED) this.departed.delete(name);
    }
  }
}

/** The member with its last probe round trip; none for a dead or departed member (it is stale). */
export function withRtt(m: DashboardMember, rtt: RttTracker | null): DashboardMember {
  if (m.local || rtt === null || m.state === "dead" || m.state === "left") return m;
  const s = rtt.get(m.name);
  return s === undefined ? m : { ...m, rttMs: Math.round(s.rttMs * 100) / 100, rttAt: s.at };
}

function frame(snapshot: DashboardSnapshot): string {
  return `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
}

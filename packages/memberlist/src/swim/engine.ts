/**
 * The SWIM + Lifeguard engine: the member table, the probe / gossip / push-pull loops, and the state
 * every concern shares. Behaviour lives in sibling modules (state.ts, probe.ts, gossip.ts, packets.ts,
 * streams.ts), each a set of functions over one Engine, as Go memberlist spreads methods over files.
 * The engine does no I/O of its own: time and randomness come from the Runtime, bytes go through the
 * Transport.
 */
import type { MemberlistConfig } from "../config.ts";
import { ProtocolVersionMax, ProtocolVersionMin } from "../config.ts";
import type { Runtime, Timer, Transport } from "../driver.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { discardMetrics, type MetricsSink, withLabels } from "../metrics.ts";
import type { Node } from "../types.ts";
import { ByteBudget } from "../wire/byte-budget.ts";
import { type Cidr, cidrContains, ipToBytes, type Keyring, parseCidr } from "../wire/index.ts";
import { Awareness } from "./awareness.ts";
import { TransmitLimitedQueue } from "./broadcast-queue.ts";
import { JunkLog } from "./junk-log.ts";
import { type Members, MemberTable } from "./member-table.ts";
import { isDeadOrLeft, type NodeRecord } from "./node-record.ts";
import type { Suspicion } from "./suspicion.ts";

/** What the engine tells its owner (the public Memberlist) about. */
export interface EngineHooks {
  join(node: Node): void;
  leave(node: Node): void;
  update(node: Node): void;
  suspect(e: { node: string; from: string; incarnation: number }): void;
  message(msg: Uint8Array): void;
}

/** A pending wait for an ack (or nacks) to one sequence number. */
export interface AckHandler {
  onAck(payload: Uint8Array | null, timestamp: number): void;
  onNack(): void;
  timer: Timer;
}

/** A periodic loop (probe, gossip, push/pull, …) and its pending timer. */
interface Loop {
  intervalMs: () => number;
  fn: () => void;
  timer: Timer | null;
}

/** Our own advertised address, in both forms. */
export interface Advertise {
  host: string;
  port: number;
  addrBytes: Uint8Array;
}

const noKeys: readonly Uint8Array[] = [];

/**
 * Where a node is in its life: running; leaving (leave() began: it no longer refutes news of its own
 * death, which it is spreading itself); stopped (shutdown: loops and waits cancelled, nothing sent).
 */
export const Lifecycle = { Running: "running", Leaving: "leaving", Stopped: "stopped" } as const;
export type Lifecycle = (typeof Lifecycle)[keyof typeof Lifecycle];

export class Engine {
  readonly awareness: Awareness;
  readonly broadcasts: TransmitLimitedQueue;
  /** Every known member; new ones are inserted at random positions in the probe order. */
  private table: Members = new MemberTable();
  /** Running suspicions, by the suspected member's name. */
  private readonly suspicions = new Map<string, Suspicion>();
  /** Estimate of the cluster size used for scaling: grows on insert, reset at each reap. */
  private sizeEstimate = 0;
  /** The next position in the probe order. */
  private probeIndex = 0;
  private seqNo = 0;
  private incarnation = 0;
  /** Pending waits for acks, by sequence number. */
  private readonly ackHandlers = new Map<number, AckHandler>();
  private phase: Lifecycle = Lifecycle.Running;
  /** A probe round is in flight; the next tick waits for it, as Go's blocking probe does. */
  private probing = false;
  /** A probe tick came during a round: it runs when the round ends (Go's ticker keeps one). */
  private probeTickDeferred = false;
  /** Inbound push/pull exchanges being served. */
  private pushPullInflight = 0;
  /** Inbound streams being served (reading or answering), bounded by maxInboundStreams. */
  private inboundStreams = 0;
  /** What unfinished inbound stream messages may buffer together (maxInboundStreamBytes). */
  readonly inboundStreamBytes: ByteBudget;
  /** Where metrics go (Go's names), with the configured labels. */
  readonly metrics: MetricsSink;
  /** Rate-limited warnings about dropped input. */
  readonly junk: JunkLog;
  /** Set when a live member at another address claims our name; join() reports it. */
  private nameConflict: string | null = null;
  private readonly loops: Loop[] = [];
  /** Lag awareness: when the last observed stall of this node's event loop ended (runtime ms). */
  private stalledUntil = Number.NEGATIVE_INFINITY;
  /** Timers later than this (ms) mean this node was stalled: half the probe timeout. */
  private readonly stallThreshold: number;

  /** Allowed member addresses, or null when every address is allowed. */
  private readonly allowed: readonly Cidr[] | null;

  constructor(
    readonly config: MemberlistConfig,
    readonly runtime: Runtime,
    readonly transport: Transport,
    readonly keyring: Keyring | null,
    readonly advertise: Advertise,
    readonly log: Logger,
    readonly hooks: EngineHooks,
  ) {
    this.awareness = new Awareness(config.awarenessMaxMultiplier, (score) =>
      this.metrics.setGauge(["memberlist", "health", "score"], score),
    );
    this.broadcasts = new TransmitLimitedQueue(() => this.numNodes, config.retransmitMult);
    this.allowed = buildAllowList(config.cidrsAllowed);
    this.stallThreshold = Math.max(1, config.probeTimeout / 2);
    this.inboundStreamBytes = new ByteBudget(config.maxInboundStreamBytes);
    this.metrics = withLabels(config.metrics ?? discardMetrics, config.metricLabels);
    this.junk = new JunkLog(log, () => runtime.now(), config.junkWarningsPerMinute);
  }

  /**
   * The engine's timers. Each one measures how late it fired: with lag awareness on, a late timer is
   * proof that this node's event loop was blocked, which raises the awareness score (once per stall).
   */
  /** The runtime with its timers measured (for helpers such as Suspicion that take a Runtime). */
  readonly timerRuntime: Runtime = {
    now: () => this.runtime.now(),
    setTimer: (ms, fn) => this.setTimer(ms, fn),
    random: () => this.runtime.random(),
    randomBytes: (n) => this.runtime.randomBytes(n),
  };

  setTimer(ms: number, fn: () => void): Timer {
    const due = this.runtime.now() + Math.max(0, ms);
    return this.runtime.setTimer(ms, () => {
      if (this.config.lagAwareness) this.observeLateness(due);
      fn();
    });
  }

  private observeLateness(due: number): void {
    const now = this.runtime.now();
    if (now - due <= this.stallThreshold) return;
    // One stall blocks many timers: count it once.
    if (due > this.stalledUntil) this.awareness.applyDelta(1);
    this.stalledUntil = now;
  }

  /** The member table. */
  get members(): Members {
    return this.table;
  }

  /** Puts the member table of a formed cluster in place of this fresh engine's (formed-cluster.ts). */
  replaceMemberTable(table: Members): void {
    this.table = table;
  }

  /** Members in probe order. */
  get nodes(): readonly NodeRecord[] {
    return this.members.order;
  }

  /** Running, leaving or stopped. */
  get lifecycle(): Lifecycle {
    return this.phase;
  }

  /** Shut down: loops and waits are cancelled, and nothing more is sent. */
  get stopped(): boolean {
    return this.phase === Lifecycle.Stopped;
  }

  /** leave() began. A stopped engine stays stopped. */
  beginLeave(): void {
    if (this.phase === Lifecycle.Running) this.phase = Lifecycle.Leaving;
  }

  /** The cluster size estimate used for scaling (retransmits, suspicion, push/pull interval). */
  get numNodes(): number {
    return this.sizeEstimate;
  }

  /** Adds a new member at a random place in the probe order (so orders differ between members). */
  insertMember(record: NodeRecord): void {
    this.members.insert(record, Math.floor(this.runtime.random() * (this.members.size + 1)));
    this.sizeEstimate++;
  }

  /** Keeps the members `keep` accepts; the size estimate becomes the table's size again. */
  retainMembers(keep: (n: NodeRecord) => boolean): void {
    this.members.retain(keep);
    this.recountMembers();
  }

  /** Sets the size estimate to the number of members in the table. */
  recountMembers(): void {
    this.sizeEstimate = this.members.size;
  }

  /** The member at the probe position, moving past it; undefined at the end of the order. */
  takeProbeCandidate(): NodeRecord | undefined {
    const node = this.members.order[this.probeIndex];
    if (node !== undefined) this.probeIndex++;
    return node;
  }

  /** Back to the start of the probe order (after a reap and reshuffle). */
  rewindProbeOrder(): void {
    this.probeIndex = 0;
  }

  /** Whether a probe round is in flight. */
  get probeInFlight(): boolean {
    return this.probing;
  }

  /** A probe round starts. */
  beginProbe(): void {
    this.probing = true;
  }

  /** The probe round ended. */
  endProbe(): void {
    this.probing = false;
  }

  /** Keeps a tick that came during a round, for when it ends. */
  deferProbeTick(): void {
    this.probeTickDeferred = true;
  }

  /** True (once) when a tick was kept during the last round. */
  takeDeferredProbeTick(): boolean {
    const kept = this.probeTickDeferred;
    this.probeTickDeferred = false;
    return kept;
  }

  /** Records that a live member at `where` claims our name. */
  noteNameConflict(where: string): void {
    this.nameConflict = where;
  }

  /** The last name conflict seen since the previous call, or null. */
  takeNameConflict(): string | null {
    const where = this.nameConflict;
    this.nameConflict = null;
    return where;
  }

  /** Whether this node's event loop was seen stalled at or after runtime time `t` (lag awareness). */
  stalledSince(t: number): boolean {
    return this.stalledUntil >= t;
  }

  /** Takes one of maxInboundStreams slots; false when all are in use. */
  tryOpenInboundStream(): boolean {
    if (this.inboundStreams >= this.config.maxInboundStreams) return false;
    this.inboundStreams++;
    return true;
  }

  closeInboundStream(): void {
    this.inboundStreams--;
  }

  /** Takes a slot for an inbound push/pull; false when `limit` would be reached (Go's rule). */
  tryBeginPushPull(limit: number): boolean {
    if (this.pushPullInflight + 1 >= limit) return false;
    this.pushPullInflight++;
    return true;
  }

  endPushPull(): void {
    this.pushPullInflight--;
  }

  /** Whether a member address (raw bytes) may join, per cidrsAllowed. */
  ipAllowed(addr: Uint8Array): boolean {
    const allowed = this.allowed;
    if (!allowed) return true;
    return allowed.some((cidr) => cidrContains(cidr, addr));
  }

  /** Whether an IP string is inside cidrsAllowed (always true when the list is empty). */
  ipAllowedHost(host: string): boolean {
    if (!this.allowed) return true;
    let addr: Uint8Array;
    try {
      addr = ipToBytes(host);
    } catch {
      return false;
    }
    return this.ipAllowed(addr);
  }

  /** [PMin, PMax, PCur, DMin, DMax, DCur] of this node; never mutated, so records may share it. */
  get localVsn(): Uint8Array {
    this.vsnCache ??= this.buildVsn();
    return this.vsnCache;
  }
  private vsnCache: Uint8Array | undefined;

  private buildVsn(): Uint8Array {
    const c = this.config;
    return Uint8Array.of(
      ProtocolVersionMin,
      ProtocolVersionMax,
      c.protocolVersion,
      c.delegateProtocolMin,
      c.delegateProtocolMax,
      c.delegateProtocolVersion,
    );
  }

  nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  currentIncarnation(): number {
    return this.incarnation;
  }

  /** Moves our incarnation forward by `offset` (refutation skipping past an accusation). */
  skipIncarnation(offset: number): number {
    this.incarnation = (this.incarnation + offset) >>> 0;
    return this.incarnation;
  }

  /** Encryption is on when the keyring holds a key. */
  encryptionEnabled(): boolean {
    return this.keyring !== null && this.keyring.size > 0;
  }

  /** Go: version 0 (PKCS#7) only when speaking protocol 1. */
  encryptionVersion(): 0 | 1 {
    return this.config.protocolVersion === 1 ? 0 : 1;
  }

  /** The key to encrypt outgoing traffic with, or null when we send plaintext. */
  sendKey(): Uint8Array | null {
    if (!this.encryptionEnabled() || !this.config.gossipVerifyOutgoing) return null;
    return this.keyring!.getPrimaryKey();
  }

  /** Keys to try on incoming traffic (empty when encryption is off). */
  receiveKeys(): readonly Uint8Array[] {
    return this.encryptionEnabled() ? this.keyring!.keysView() : noKeys;
  }

  /** Registers a wait for the ack to `seq`; the handler is removed on ack or after `timeoutMs`. */
  setAckHandler(
    seq: number,
    timeoutMs: number,
    onAck: (payload: Uint8Array | null, timestamp: number) => void,
    onNack: () => void,
    onTimeout: () => void,
  ): void {
    const timer = this.setTimer(timeoutMs, () => {
      if (this.ackHandlers.get(seq)?.timer !== timer) return;
      this.ackHandlers.delete(seq);
      onTimeout();
    });
    this.ackHandlers.set(seq, { onAck, onNack, timer });
  }

  /** An ack for `seq` arrived: ends its wait and calls its handler (nothing when none waits). */
  deliverAck(seq: number, payload: Uint8Array | null, timestamp: number): void {
    const h = this.ackHandlers.get(seq);
    if (!h) return;
    this.ackHandlers.delete(seq);
    h.timer.cancel();
    h.onAck(payload, timestamp);
  }

  /** A nack for `seq` arrived: counted by its wait, which goes on until the ack or the timeout. */
  deliverNack(seq: number): void {
    this.ackHandlers.get(seq)?.onNack();
  }

  /** The running suspicion of `node`, if any. */
  suspicionOf(node: string): Suspicion | undefined {
    return this.suspicions.get(node);
  }

  /** Records the suspicion of `node` (its timer already runs). */
  addSuspicion(node: string, s: Suspicion): void {
    this.suspicions.set(node, s);
  }

  /** Forgets the suspicion of `node` (its timer fired). */
  forgetSuspicion(node: string): void {
    this.suspicions.delete(node);
  }

  /** Stops and forgets the suspicion of `node`, if any. */
  cancelSuspicion(node: string): void {
    const s = this.suspicions.get(node);
    if (s) {
      s.cancel();
      this.suspicions.delete(node);
    }
  }

  /**
   * Runs `fn` every `intervalMs` (read again before each wait, so it may scale), after a random first
   * stagger in [0, interval) so that nodes started together do not probe in lock-step.
   */
  schedule(intervalMs: () => number, fn: () => void): void {
    const loop: Loop = { intervalMs, fn, timer: null };
    this.loops.push(loop);
    this.stagger(loop);
  }

  /** (Re)starts a loop after a random stagger over its current interval. */
  private stagger(loop: Loop): void {
    loop.timer?.cancel();
    loop.timer = null;
    const interval = loop.intervalMs();
    if (interval <= 0) return;
    this.armLoop(loop, Math.floor(this.runtime.random() * interval));
  }

  private armLoop(loop: Loop, delay: number): void {
    loop.timer = this.setTimer(delay, () => {
      loop.timer = null;
      if (this.stopped) return;
      loop.fn();
      if (!this.stopped) this.armLoop(loop, loop.intervalMs());
    });
  }

  /** Re-staggers every loop over its current interval (after the cluster grew at once). */
  restaggerLoops(): void {
    for (const loop of this.loops) this.stagger(loop);
  }

  /** Stops every loop and pending wait; sends nothing. */
  stop(): void {
    this.phase = Lifecycle.Stopped;
    for (const loop of this.loops) {
      loop.timer?.cancel();
      loop.timer = null;
    }
    for (const h of this.ackHandlers.values()) h.timer.cancel();
    this.ackHandlers.clear();
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
  }

  /** True when any member other than us is not dead or left. */
  anyAlive(): boolean {
    for (const n of this.nodes) {
      if (n.name !== this.config.name && !isDeadOrLeft(n)) return true;
    }
    return false;
  }
}

/** Parses CIDRs ("10.0.0.0/8", "fd00::/8") into an allow list; null (allow all) when there are none. */
export function buildAllowList(cidrs: readonly string[]): Cidr[] | null {
  if (cidrs.length === 0) return null;
  return cidrs.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new ConfigError(`invalid CIDR in cidrsAllowed: '${text}'`);
    return cidr;
  });
}

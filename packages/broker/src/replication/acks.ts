/**
 * Publishes waiting for their ack condition (see {@link AckMode}). Peer acks are cumulative
 * (the highest own seq a peer holds), so waiters are kept in seq order and settled from the front.
 * They all wait the same time, so their deadlines are in that order too: one timer, for the oldest,
 * serves them all (a timer per publish cost a set and a cancel each, on every publish's path).
 */
import type { BrokerEvent } from "../core/event.ts";
import { type AckMode, AckTimeoutError } from "../core/plane.ts";
import type { Runtime, Timer } from "./driver.ts";

interface Waiter {
  ev: BrokerEvent;
  resolve(ev: BrokerEvent): void;
  reject(err: Error): void;
  /** Runtime time at which it is answered 503. */
  deadline: number;
}

/** What the waiters read: the live peers and how far each acknowledged (undefined: no link). */
export interface AckSource {
  livePeers(): string[];
  ackedBy(peer: string): number | undefined;
  /** True while the node is joining its cluster: no live peer then does not mean "alone". */
  joining(): boolean;
}

export class AckWaiters {
  private readonly waiting: Waiter[] = [];
  /** Fires at (or before) the oldest waiter's deadline; null when none waits. */
  private timer: Timer | null = null;
  /** Publishes answered 503 because the condition did not hold in time. */
  timeouts = 0;

  constructor(
    private readonly mode: AckMode,
    private readonly timeoutMs: number,
    private readonly runtime: Runtime,
    private readonly source: AckSource,
  ) {}

  /** Resolves once `ev` satisfies the mode; rejects with {@link AckTimeoutError} after the timeout. */
  wait(ev: BrokerEvent): Promise<BrokerEvent> {
    if (this.mode === "local" || this.holds(ev.seq)) return Promise.resolve(ev);
    return new Promise((resolve, reject) => {
      this.waiting.push({ ev, resolve, reject, deadline: this.runtime.now() + this.timeoutMs });
      if (this.timer === null) this.arm();
    });
  }

  /** Acks or membership changed: settle every waiter whose condition now holds. */
  check(): void {
    if (this.waiting.length === 0) return;
    const peers = this.source.livePeers();
    while (this.waiting.length > 0 && this.holds(this.waiting[0]!.ev.seq, peers)) {
      const w = this.waiting.shift()!;
      w.resolve(w.ev);
    }
    // The timer stays armed for an older deadline: it finds nothing due, and re-arms (see expire).
    if (this.waiting.length === 0) {
      this.timer?.cancel();
      this.timer = null;
    }
  }

  /** Number of publishes waiting. */
  get pending(): number {
    return this.waiting.length;
  }

  /** The node is closing: nothing more will be acknowledged. */
  close(): void {
    this.timer?.cancel();
    this.timer = null;
    for (const w of this.waiting.splice(0)) w.reject(new AckTimeoutError(w.ev, this.mode, 0));
  }

  /** Arms the timer for the oldest waiter's deadline. */
  private arm(): void {
    const oldest = this.waiting[0];
    this.timer =
      oldest === undefined
        ? null
        : this.runtime.setTimer(Math.max(0, oldest.deadline - this.runtime.now()), () => this.expire());
  }

  /** Answers every waiter past its deadline with a timeout, then waits for the next one's. */
  private expire(): void {
    // A microsecond of slack: `now + (deadline - now)` may round just below `deadline`.
    const now = this.runtime.now() + 0.001;
    while (this.waiting.length > 0 && this.waiting[0]!.deadline <= now) {
      const w = this.waiting.shift()!;
      this.timeouts++;
      w.reject(new AckTimeoutError(w.ev, this.mode, this.timeoutMs, this.source.joining()));
    }
    this.arm();
  }

  private holds(seq: number, peers = this.source.livePeers()): boolean {
    // No other live member: held by all there is, unless the node has not found its cluster yet.
    if (peers.length === 0) return !this.source.joining();
    if (this.mode === "one") return peers.some((p) => (this.source.ackedBy(p) ?? 0) >= seq);
    return peers.every((p) => (this.source.ackedBy(p) ?? 0) >= seq);
  }
}

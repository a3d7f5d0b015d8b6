/**
 * Publishes waiting for their ack condition (see {@link AckMode}). Peer acks are cumulative
 * (the highest own seq a peer holds), so waiters are kept in seq order and settled from the front.
 */
import type { BrokerEvent } from "../core/event.ts";
import { type AckMode, AckTimeoutError } from "../core/plane.ts";
import type { Runtime, Timer } from "./driver.ts";

interface Waiter {
  ev: BrokerEvent;
  resolve(ev: BrokerEvent): void;
  reject(err: Error): void;
  timer: Timer;
}

/** What the waiters read: the live peers and how far each acknowledged (undefined: no link). */
export interface AckSource {
  livePeers(): string[];
  ackedBy(peer: string): number | undefined;
}

export class AckWaiters {
  private readonly waiting: Waiter[] = [];
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
      const waiter: Waiter = {
        ev,
        resolve,
        reject,
        timer: this.runtime.setTimer(this.timeoutMs, () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          this.timeouts++;
          reject(new AckTimeoutError(ev, this.mode, this.timeoutMs));
        }),
      };
      this.waiting.push(waiter);
    });
  }

  /** Acks or membership changed: settle every waiter whose condition now holds. */
  check(): void {
    while (this.waiting.length > 0 && this.holds(this.waiting[0]!.ev.seq)) {
      const w = this.waiting.shift()!;
      w.timer.cancel();
      w.resolve(w.ev);
    }
  }

  /** Number of publishes waiting. */
  get pending(): number {
    return this.waiting.length;
  }

  /** The node is closing: nothing more will be acknowledged. */
  close(): void {
    for (const w of this.waiting.splice(0)) {
      w.timer.cancel();
      w.reject(new AckTimeoutError(w.ev, this.mode, 0));
    }
  }

  private holds(seq: number): boolean {
    const peers = this.source.livePeers();
    if (peers.length === 0) return true; // no other live member: held by all there is
    if (this.mode === "one") return peers.some((p) => (this.source.ackedBy(p) ?? 0) >= seq);
    return peers.every((p) => (this.source.ackedBy(p) ?? 0) >= seq);
  }
}

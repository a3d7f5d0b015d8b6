/**
 * Lifeguard "LHA-Suspicion": a suspicion timer that starts long and shrinks as independent members
 * confirm the suspicion, so one sick accuser cannot kill a node quickly, while a real failure seen by
 * many is declared fast.
 */
import type { Runtime, Timer } from "../driver.ts";

export class Suspicion {
  private confirmations = 0;
  private readonly seen = new Set<string>();
  private readonly start: number;
  private timer: Timer;
  private fired = false;

  /**
   * @param from the accuser, who cannot confirm its own suspicion
   * @param k confirmations wanted before the timeout reaches `min`
   * @param min shortest timeout (ms)
   * @param max starting timeout when k >= 1 (ms)
   * @param onTimeout called once when the timer expires, with the number of confirmations
   */
  constructor(
    private readonly runtime: Runtime,
    from: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.seen.add(from);
    this.start = runtime.now();
    const timeout = k < 1 ? min : max;
    this.timer = runtime.setTimer(timeout, () => this.fire());
  }

  /** Counts a confirmation from a new member; true when it was new and the suspicion should be re-gossiped. */
  confirm(from: string): boolean {
    if (this.fired || this.confirmations >= this.k || this.seen.has(from)) return false;
    this.seen.add(from);
    this.confirmations++;
    const remaining = this.remaining(this.confirmations, this.runtime.now() - this.start);
    this.timer.cancel();
    this.timer = this.runtime.setTimer(Math.max(0, remaining), () => this.fire());
    return true;
  }

  /** Stops the timer for good. */
  cancel(): void {
    this.fired = true;
    this.timer.cancel();
  }

  /** Timeout left after `n` confirmations when `elapsed` ms have passed (log decay from max to min). */
  remaining(n: number, elapsed: number): number {
    const frac = Math.log(n + 1) / Math.log(this.k + 1);
    const raw = this.max - frac * (this.max - this.min);
    const timeout = Math.max(Math.floor(raw), this.min);
    return timeout - elapsed;
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.onTimeout(this.confirmations);
  }
}

/**
 * Warnings about input from outside (junk datagrams, refused streams) are rate-limited: a flood of
 * bad packets must not become a flood of log lines. At most `perMinute` lines are written per minute;
 * the rest are counted, and the count goes out with the next line written. (Every drop is also
 * counted in the metrics, which are not limited.) Time comes from the runtime: no timers, no I/O.
 */
import type { Logger } from "../logger.ts";

const windowMs = 60_000;

export class JunkLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly perMinute: number,
  ) {}

  /** Warnings held back since the last line written. */
  get suppressedCount(): number {
    return this.suppressed;
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    const t = this.now();
    if (t - this.windowStart >= windowMs) {
      this.windowStart = t;
      this.written = 0;
    }
    if (this.written >= this.perMinute) {
      this.suppressed++;
      return;
    }
    this.written++;
    const extra: Record<string, unknown> = {};
    if (this.suppressed > 0) {
      extra.suppressed = this.suppressed;
      this.suppressed = 0;
    }
    if (this.written === this.perMinute) {
      extra.note = `more warnings about dropped input are only counted until a minute has passed`;
    }
    this.log.warn(msg, fields === undefined ? extra : { ...fields, ...extra });
  }
}

/**
 * The events this broker run accepted, in seq order, bounded by count and payload bytes. It is
 * the outbox of every replication link: a link only remembers how far its peer acknowledged.
 */
import type { BrokerEvent } from "./event.ts";

export class OriginLog {
  private events: BrokerEvent[] = [];
  /** Index of the first live element of `events` (compacted lazily). */
  private start = 0;
  /** Payload bytes held (data lengths, an estimate of memory). */
  private bytes = 0;
  /** Seq of the newest event (0 when none ever). */
  lastSeq = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Seq of the oldest event still kept (lastSeq + 1 when empty). */
  get firstSeq(): number {
    const ev = this.events[this.start];
    return ev === undefined ? this.lastSeq + 1 : ev.seq;
  }

  append(ev: BrokerEvent): void {
    this.events.push(ev);
    this.lastSeq = ev.seq;
    this.bytes += ev.data.length;
    // Drop the oldest while over a bound (always keeping the newest).
    while (
      this.events.length - this.start > 1 &&
      (this.events.length - this.start > this.maxEvents || this.bytes > this.maxBytes)
    ) {
      this.bytes -= this.events[this.start]!.data.length;
      // Let go of it now: compaction is lazy, and up to 1,024 dropped 1 MB events would stay alive.
      this.events[this.start] = undefined as unknown as BrokerEvent;
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.start = 0;
    }
  }

  /** Up to `max` events with seq > `after`, oldest first (skipping what was already dropped). */
  after(after: number, max: number): BrokerEvent[] {
    const first = this.firstSeq;
    const from = this.start + Math.max(0, after + 1 - first);
    return this.events.slice(from, Math.min(this.events.length, from + max));
  }
}

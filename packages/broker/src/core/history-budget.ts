/**
 * One byte budget shared by the histories of every channel. Each channel's history is bounded on
 * its own, but a flood of distinct channels would still add up without limit; the budget keeps
 * the total under a cap by evicting the oldest event of the whole node first, whichever channel
 * holds it. An evicted event is remembered by its history (see {@link History.evicted}), so a
 * resume that needed it gets a `reset`, never a silent gap.
 */
import type { BrokerEvent } from "./event.ts";

/**
 * Fixed bytes charged per stored event on top of its strings: the event object, its entry and its
 * slots in the two queues. An estimate that keeps a flood of tiny events from being free.
 */
export const EVENT_OVERHEAD_BYTES = 256;

/** What holding `ev` in a history costs, in (estimated) bytes. */
export function eventCost(ev: BrokerEvent): number {
  return (
    EVENT_OVERHEAD_BYTES +
    ev.data.length +
    ev.channel.length +
    (ev.event?.length ?? 0) +
    (ev.client?.length ?? 0) +
    (ev.userId?.length ?? 0)
  );
}

/** An event held by a history, with its cost and whether it is still held. */
export interface HistoryEntry {
  readonly ev: BrokerEvent;
  /** Local arrival time: age is judged by this node's clock, not the origin's. */
  readonly arrived: number;
  readonly cost: number;
  /** False once evicted (by its history's own bounds or by the budget). */
  live: boolean;
  readonly owner: { evictOldest(): void; readonly oldest: HistoryEntry | undefined };
}

export class HistoryBudget {
  /** Every charged entry in arrival order; evicted ones are skipped and compacted away. */
  private queue: HistoryEntry[] = [];
  private start = 0;
  private liveCount = 0;
  private liveBytes = 0;
  /** Events evicted because the total was over the cap. */
  evictedEvents = 0;
  evictedBytes = 0;

  /** @param maxBytes total estimated bytes of every history together. */
  constructor(readonly maxBytes: number) {}

  /** Estimated bytes held by every history. */
  get bytes(): number {
    return this.liveBytes;
  }

  /** Events held by every history. */
  get events(): number {
    return this.liveCount;
  }

  /** Charges a newly stored entry, then evicts the node's oldest events while over the cap. */
  add(entry: HistoryEntry): void {
    this.queue.push(entry);
    this.liveCount++;
    this.liveBytes += entry.cost;
    while (this.liveBytes > this.maxBytes && this.evictOldest()) {}
  }

  /** Called by a history when it lets go of an entry (for whatever reason). */
  release(entry: HistoryEntry): void {
    this.liveCount--;
    this.liveBytes -= entry.cost;
    const held = this.queue.length - this.start;
    // Evicted entries stay queued until passed over; compact once they outnumber the live ones.
    if (held > 1024 && held > 2 * this.liveCount) {
      this.queue = this.queue.slice(this.start).filter((e) => e.live);
      this.start = 0;
    }
  }

  /**
   * Evicts the oldest live entry of the node. Entries are queued in arrival order and a history
   * only ever lets go of its own oldest, so the oldest live entry here is its history's oldest.
   */
  private evictOldest(): boolean {
    while (this.start < this.queue.length) {
      const entry = this.queue[this.start]!;
      this.queue[this.start] = undefined as unknown as HistoryEntry;
      this.start++;
      if (!entry.live) continue;
      if (entry.owner.oldest !== entry) continue; // cannot happen (see above); never evict out of order
      this.evictedEvents++;
      this.evictedBytes += entry.cost;
      entry.owner.evictOldest();
      this.compactHead();
      return true;
    }
    this.compactHead();
    return false;
  }

  private compactHead(): void {
    if (this.start === this.queue.length) {
      this.queue = [];
      this.start = 0;
    } else if (this.start > 1024 && this.start * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.start);
      this.start = 0;
    }
  }
}

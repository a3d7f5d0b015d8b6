/**
 * Last round-trip time per member, from the memberlist's direct probes. It is the memberlist's
 * {@link PingDelegate}: pass it in the memberlist config (`ping`) and read it from the dashboard.
 */
import type { Node, PingDelegate } from "@shoal/memberlist";

/** One measured round trip. */
export interface RttSample {
  rttMs: number;
  /** When it was measured, ms since the epoch. */
  at: number;
}

const EMPTY = new Uint8Array(0);

/** Remembers the newest RTT of each member; bounded, the least recently measured go first. */
export class RttTracker implements PingDelegate {
  private readonly samples = new Map<string, RttSample>();

  constructor(
    private readonly maxEntries = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  ackPayload(): Uint8Array {
    return EMPTY;
  }

  notifyPingComplete(node: Node, rttMs: number): void {
    // Re-inserting keeps the Map in measurement order, so the first key is the stalest.
    this.samples.delete(node.name);
    this.samples.set(node.name, { rttMs, at: this.now() });
    if (this.samples.size > this.maxEntries) {
      const stalest = this.samples.keys().next().value;
      if (stalest !== undefined) this.samples.delete(stalest);
    }
  }

  /** The newest sample for `name`, if any. */
  get(name: string): RttSample | undefined {
    return this.samples.get(name);
  }
}

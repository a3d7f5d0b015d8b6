/**
 * Events per second, from the hub's cumulative counters sampled once a second. Sampling costs
 * two reads; the publish path is untouched.
 */

/** One second of traffic through this node. */
export interface RateSample {
  /** Sample time, ms since the epoch. */
  time: number;
  /** Events accepted here per second: published on this node plus replicated in from peers. */
  events: number;
  /** Deliveries to subscribers per second. */
  delivered: number;
}

/** Keeps the last `capacity` per-second samples of two cumulative counters. */
export class RateSampler {
  private readonly samples: RateSample[] = [];
  private lastEvents: number;
  private lastDelivered: number;
  private lastTime: number;

  constructor(
    private readonly read: () => { events: number; delivered: number },
    private readonly capacity = 60,
    private readonly now: () => number = Date.now,
  ) {
    const first = read();
    this.lastEvents = first.events;
    this.lastDelivered = first.delivered;
    this.lastTime = now();
  }

  /** Takes a sample (call about once a second); rates are scaled to the real elapsed time. */
  sample(): RateSample {
    const { events, delivered } = this.read();
    const time = this.now();
    const seconds = Math.max(0.001, (time - this.lastTime) / 1000);
    const s: RateSample = {
      time,
      events: round1((events - this.lastEvents) / seconds),
      delivered: round1((delivered - this.lastDelivered) / seconds),
    };
    this.lastEvents = events;
    this.lastDelivered = delivered;
    this.lastTime = time;
    this.samples.push(s);
    if (this.samples.length > this.capacity) this.samples.shift();
    return s;
  }

  /** Samples oldest first. */
  history(): RateSample[] {
    return [...this.samples];
  }
}

function round1(x: number): number {
  return Math.round(Math.max(0, x) * 10) / 10;
}

/**
 * TransmitLimitedQueue: the gossip broadcast queue. Each broadcast is sent a limited number of times
 * (RetransmitMult * ceil(log10(N+1))), the least-sent first, and the largest that fits first within a
 * tier, so fresh news spreads before old news and packets are filled well. A newer broadcast about the
 * same subject invalidates the older one. Memberlist uses it for its own messages; applications (Serf
 * does) use it for theirs.
 */
import { retransmitLimit } from "./formulas.ts";

/** Something to gossip. */
export interface Broadcast {
  /** True when this broadcast makes `other` obsolete (it will be dropped). */
  invalidates(other: Broadcast): boolean;
  /** The bytes to send; must not change while queued. */
  message(): Uint8Array;
  /** Called once when the broadcast has been sent enough times or was invalidated. */
  finished(): void;
}

/** A broadcast with a name: a newer one with the same name replaces it, with no scan of the queue. */
export interface NamedBroadcast extends Broadcast {
  name(): string;
}

/** A broadcast that nothing invalidates and that invalidates nothing: the queue never scans for it. */
export interface UniqueBroadcast extends Broadcast {
  unique(): true;
}

function isNamed(b: Broadcast): b is NamedBroadcast {
  return typeof (b as Partial<NamedBroadcast>).name === "function";
}

function isUnique(b: Broadcast): b is UniqueBroadcast {
  return typeof (b as Partial<UniqueBroadcast>).unique === "function";
}

interface Item {
  b: Broadcast;
  transmits: number;
  len: number;
  id: number;
  name: string | undefined;
}

/** Within a tier: larger first, then newer first. */
function tierOrder(a: Item, b: Item): number {
  return b.len - a.len || b.id - a.id;
}

export class TransmitLimitedQueue {
  /** Tiers by transmit count, each sorted larger-first then newer-first. */
  private readonly tiers = new Map<number, Item[]>();
  private readonly byName = new Map<string, Item>();
  private count = 0;
  private idGen = 0;

  /**
   * @param numNodes current cluster size estimate, read at each GetBroadcasts
   * @param retransmitMult multiplier of the retransmit limit
   */
  constructor(
    public numNodes: () => number,
    public retransmitMult: number,
  ) {}

  /** Queues a broadcast, dropping (and finishing) any queued broadcast it invalidates. */
  queueBroadcast(b: Broadcast): void {
    if (this.count === 0) this.idGen = 0;
    const item: Item = {
      b,
      transmits: 0,
      len: b.message().length,
      id: this.idGen++,
      name: isNamed(b) ? b.name() : undefined,
    };
    if (item.name !== undefined) {
      const old = this.byName.get(item.name);
      if (old) {
        this.deleteItem(old);
        old.b.finished();
      }
    } else if (!isUnique(b)) {
      for (const tier of [...this.tiers.values()]) {
        for (const other of [...tier]) {
          if (isUnique(other.b) || !b.invalidates(other.b)) continue;
          this.deleteItem(other);
          other.b.finished();
        }
      }
    }
    this.addItem(item);
  }

  /**
   * Takes broadcasts to send in one packet: each costs `overhead` + its length, all within `limit`.
   * Taken broadcasts move up a tier, or finish when sent enough times.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.count === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    const toSend: Uint8Array[] = [];
    const reinsert: Item[] = [];
    let used = 0;
    const tierKeys = [...this.tiers.keys()].sort((a, b) => a - b);
    for (const transmits of tierKeys) {
      const tier = this.tiers.get(transmits);
      while (tier && tier.length > 0) {
        const free = limit - used - overhead;
        if (free <= 0) break;
        const idx = firstFitting(tier, free);
        if (idx < 0) break;
        const item = tier[idx]!;
        used += overhead + item.len;
        toSend.push(item.b.message());
        this.deleteItem(item, idx);
        if (item.transmits + 1 >= transmitLimit) {
          item.b.finished();
        } else {
          // Re-added after the walk so it is not picked again from the next tier in this same call.
          item.transmits++;
          reinsert.push(item);
        }
      }
      if (limit - used - overhead <= 0) break;
    }
    for (const item of reinsert) this.addItem(item);
    return toSend;
  }

  /** Number of queued broadcasts. */
  numQueued(): number {
    return this.count;
  }

  /** Drops every queued broadcast, finishing each. */
  reset(): void {
    const all = this.allItems();
    this.tiers.clear();
    this.byName.clear();
    this.count = 0;
    this.idGen = 0;
    for (const item of all) item.b.finished();
  }

  /** Keeps at most `maxRetain` broadcasts, dropping the most-sent (then oldest) first. */
  prune(maxRetain: number): void {
    while (this.count > maxRetain) {
      const maxTier = Math.max(...this.tiers.keys());
      const tier = this.tiers.get(maxTier)!;
      // Oldest of the most-sent tier: smallest id.
      let oldestIdx = 0;
      for (let i = 1; i < tier.length; i++) if (tier[i]!.id < tier[oldestIdx]!.id) oldestIdx = i;
      const item = tier[oldestIdx]!;
      this.deleteItem(item, oldestIdx);
      item.b.finished();
    }
  }

  private allItems(): Item[] {
    return [...this.tiers.values()].flat();
  }

  private addItem(item: Item): void {
    let tier = this.tiers.get(item.transmits);
    if (!tier) {
      tier = [];
      this.tiers.set(item.transmits, tier);
    }
    // Binary search for the insertion point in tier order.
    let lo = 0;
    let hi = tier.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tierOrder(tier[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    tier.splice(lo, 0, item);
    if (item.name !== undefined) this.byName.set(item.name, item);
    this.count++;
  }

  private deleteItem(item: Item, knownIdx?: number): void {
    const tier = this.tiers.get(item.transmits);
    if (!tier) return;
    const idx = knownIdx ?? tier.indexOf(item);
    if (idx < 0) return;
    tier.splice(idx, 1);
    if (tier.length === 0) this.tiers.delete(item.transmits);
    if (item.name !== undefined && this.byName.get(item.name) === item) this.byName.delete(item.name);
    this.count--;
  }
}

/** Index of the largest item no longer than `free` in a larger-first tier, or -1. */
function firstFitting(tier: Item[], free: number): number {
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tier[mid]!.len > free) lo = mid + 1;
    else hi = mid;
  }
  return lo < tier.length ? lo : -1;
}

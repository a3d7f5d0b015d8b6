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
  /** False once sent enough times, invalidated or dropped. */
  live: boolean;
}

/**
 * One transmit tier: a max-heap by (length, id), so the largest and then newest broadcast is on top.
 * Deletion is lazy: an entry whose item died or moved to a higher tier is skipped when it surfaces,
 * and the heap is rebuilt once stale entries outnumber live ones. Every operation stays O(log n) even
 * when a forming cluster queues thousands of broadcasts.
 */
class Tier {
  heap: Item[] = [];
  live = 0;
  /**
   * No current item is shorter than this. A nearly full packet then skips the tier without a scan:
   * memberlist's own messages are all about the same size, so that is the common case.
   */
  minLen = Number.POSITIVE_INFINITY;

  constructor(readonly transmits: number) {}

  isCurrent(item: Item): boolean {
    return item.live && item.transmits === this.transmits;
  }

  push(item: Item): void {
    const h = this.heap;
    // Sift up by moving parents down into the hole, then drop the item in (no swaps).
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!before(item, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = item;
    this.live++;
    if (item.len < this.minLen) this.minLen = item.len;
  }

  /** The best current item, dropping stale entries from the top. */
  peek(): Item | undefined {
    while (this.heap.length > 0 && !this.isCurrent(this.heap[0]!)) this.popTop();
    return this.heap[0];
  }

  popTop(): Item {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      // Sift `last` down from the root by moving the better child up into the hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(h[r]!, h[l]!) ? r : l;
        const c = h[child]!;
        if (!before(c, last)) break;
        h[i] = c;
        i = child;
      }
      h[i] = last;
    }
    return top;
  }

  /** The largest (then newest) current item no longer than `free`, found by a scan (the rare case). */
  largestFitting(free: number): Item | undefined {
    if (free < this.minLen) return undefined;
    let best: Item | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const item of this.heap) {
      if (!this.isCurrent(item)) continue;
      if (item.len < min) min = item.len;
      if (item.len > free) continue;
      if (!best || before(item, best)) best = item;
    }
    // Exact again after a full scan (taking `best` can only raise it; a lower bound is still true).
    this.minLen = min;
    return best;
  }

  /** Rebuilds the heap from current items once stale entries dominate. */
  maybeCompact(): void {
    if (this.heap.length <= 2 * this.live + 64) return;
    const items = this.heap.filter((it) => this.isCurrent(it));
    this.heap = [];
    this.live = 0;
    this.minLen = Number.POSITIVE_INFINITY;
    for (const it of items) this.push(it);
  }
}

/** Heap order: larger first, then newer first. */
function before(a: Item, b: Item): boolean {
  return a.len > b.len || (a.len === b.len && a.id > b.id);
}

export class TransmitLimitedQueue {
  private readonly tiers = new Map<number, Tier>();
  /** Tier keys in ascending order (a handful: at most the retransmit limit). */
  private tierKeys: number[] = [];
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
      live: true,
    };
    if (item.name !== undefined) {
      const old = this.byName.get(item.name);
      if (old) this.drop(old);
    } else if (!isUnique(b)) {
      for (const other of this.liveItems()) {
        if (!isUnique(other.b) && b.invalidates(other.b)) this.drop(other);
      }
    }
    this.insert(item);
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
    walk: for (const key of [...this.tierKeys]) {
      const tier = this.tiers.get(key)!;
      for (;;) {
        const free = limit - used - overhead;
        if (free <= 0) break walk;
        const top = tier.peek();
        if (!top) break;
        const item = top.len <= free ? tier.popTop() : tier.largestFitting(free);
        if (!item) break;
        used += overhead + item.len;
        toSend.push(item.b.message());
        tier.live--;
        this.count--;
        if (item.transmits + 1 >= transmitLimit) {
          this.retire(item);
          item.b.finished();
        } else {
          // Re-added after the walk so it is not picked again from the next tier in this same call.
          item.transmits++;
          reinsert.push(item);
        }
      }
      this.settle(tier);
    }
    for (const item of reinsert) this.insert(item);
    return toSend;
  }

  /** Number of queued broadcasts. */
  numQueued(): number {
    return this.count;
  }

  /** Drops every queued broadcast, finishing each. */
  reset(): void {
    const all = this.liveItems();
    this.tiers.clear();
    this.tierKeys = [];
    this.byName.clear();
    this.count = 0;
    this.idGen = 0;
    for (const item of all) {
      item.live = false;
      item.b.finished();
    }
  }

  /** Keeps at most `maxRetain` broadcasts, dropping the most-sent (then oldest) first. */
  prune(maxRetain: number): void {
    if (this.count <= maxRetain) return;
    const victims = this.liveItems().sort((a, b) => b.transmits - a.transmits || a.id - b.id);
    for (const item of victims.slice(0, this.count - maxRetain)) this.drop(item);
  }

  private liveItems(): Item[] {
    const out: Item[] = [];
    for (const tier of this.tiers.values()) for (const it of tier.heap) if (tier.isCurrent(it)) out.push(it);
    return out;
  }

  private insert(item: Item): void {
    let tier = this.tiers.get(item.transmits);
    if (!tier) {
      tier = new Tier(item.transmits);
      this.tiers.set(item.transmits, tier);
      this.tierKeys.push(item.transmits);
      this.tierKeys.sort((a, b) => a - b);
    }
    tier.push(item);
    if (item.name !== undefined) this.byName.set(item.name, item);
    this.count++;
  }

  /** Removes a queued item (invalidated or pruned) and finishes it. */
  private drop(item: Item): void {
    const tier = this.tiers.get(item.transmits);
    if (!item.live || !tier) return;
    this.retire(item);
    tier.live--;
    this.count--;
    this.settle(tier);
    item.b.finished();
  }

  private retire(item: Item): void {
    item.live = false;
    if (item.name !== undefined && this.byName.get(item.name) === item) this.byName.delete(item.name);
  }

  /** Deletes an empty tier, or compacts one full of stale entries. */
  private settle(tier: Tier): void {
    if (tier.live === 0) {
      this.tiers.delete(tier.transmits);
      this.tierKeys = this.tierKeys.filter((k) => k !== tier.transmits);
    } else {
      tier.maybeCompact();
    }
  }
}

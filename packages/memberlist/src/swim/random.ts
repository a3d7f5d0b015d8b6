/**
 * Random choices of members, drawn from the runtime's generator so the simulator can replay them.
 */
import type { Runtime } from "../driver.ts";

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(runtime: Runtime, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(runtime.random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/**
 * Up to `k` distinct items for which `exclude` is false. Small lists are shuffled; large ones sampled
 * with up to 3n random picks, as memberlist does, so the cost stays O(k) for big clusters.
 */
export function kRandom<T>(
  runtime: Runtime,
  k: number,
  items: readonly T[],
  exclude: (item: T) => boolean,
): T[] {
  const n = items.length;
  const out: T[] = [];
  if (k <= 0 || n === 0) return out;
  if (n < 3 * k) {
    const copy = items.slice();
    shuffle(runtime, copy);
    for (const item of copy) {
      if (out.length >= k) break;
      if (!exclude(item)) out.push(item);
    }
    return out;
  }
  const picked = new Set<number>();
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    const idx = Math.floor(runtime.random() * n);
    if (picked.has(idx)) continue;
    picked.add(idx);
    const item = items[idx]!;
    if (!exclude(item)) out.push(item);
  }
  return out;
}

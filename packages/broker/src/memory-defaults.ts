/**
 * Defaults sized from the heap this process may use, so a node with 1–2 GB of memory (where
 * Node's default heap is a quarter of it: 256–512 MB) does not run out of heap at its defaults.
 */
import { getHeapStatistics } from "node:v8";

const MiB = 1024 * 1024;

/**
 * Default `historyMaxTotalBytes`: a quarter of the heap limit, between 16 and 256 MiB. The rest
 * of the heap holds the replication outbox (64 MiB), streams, and the garbage of big publishes.
 */
export function defaultHistoryTotalBytes(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.max(16 * MiB, Math.min(256 * MiB, Math.floor(heapLimit / 4)));
}

/**
 * The process's open-file limit, where the platform tells it (Linux `/proc/self/limits`), so the
 * stream limit can be kept below it with room to spare for everything else a node opens.
 */
import { readFileSync } from "node:fs";

/**
 * Descriptors kept free for what is not a stream: `/healthz` and `/metrics` scrapes, publishes,
 * replication links, gossip TCP, the dashboard, log and config files.
 */
export const FD_HEADROOM = 256;

/** The soft `RLIMIT_NOFILE`, or null when unknown (not Linux, or unlimited). */
export function openFileLimit(): number | null {
  try {
    const text = readFileSync("/proc/self/limits", "utf8");
    const m = /^Max open files\s+(\d+)/m.exec(text);
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** `wanted` lowered, if need be, to leave {@link FD_HEADROOM} descriptors free (never below 1). */
export function streamsWithinFdLimit(wanted: number, limit: number | null): number {
  if (limit === null) return wanted;
  return Math.max(1, Math.min(wanted, limit - FD_HEADROOM));
}

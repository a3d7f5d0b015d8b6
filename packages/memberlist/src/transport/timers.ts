/**
 * The default timer of the transports when none is injected: `setTimeout`, clamped to its maximum
 * delay (Node turns anything larger, Infinity included, into 1 ms).
 */
import type { Timer } from "../driver.ts";

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function realTimer(ms: number, fn: () => void): Timer {
  const handle = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS));
  return { cancel: () => clearTimeout(handle) };
}

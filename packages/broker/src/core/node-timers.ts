/**
 * The production {@link Runtime} of the broker: Node's timers, unref'd (a broker's own timers never
 * keep the process up; its server does), its monotonic clock and node:crypto randomness. The
 * simulator injects its own runtime instead.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Runtime } from "@shoal/memberlist";

export const nodeTimers: Runtime = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    if (ms <= 0) {
      const handle = setImmediate(fn);
      return { cancel: () => clearImmediate(handle) };
    }
    const handle = setTimeout(fn, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  random: Math.random,
  randomBytes: (n) => randomBytes(n),
};

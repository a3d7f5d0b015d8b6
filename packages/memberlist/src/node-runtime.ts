/**
 * The production Runtime: the process's monotonic clock, Node timers and node:crypto randomness.
 * It remembers its timers so that shutdown can cancel every one and let the process exit.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Runtime, Timer } from "./driver.ts";

export class NodeRuntime implements Runtime {
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): Timer {
    const handle = setTimeout(
      () => {
        this.timers.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  random(): number {
    return Math.random();
  }

  randomBytes(n: number): Uint8Array {
    return randomBytes(n);
  }

  /** Cancels every pending timer. */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

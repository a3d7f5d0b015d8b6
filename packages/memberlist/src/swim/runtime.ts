/**
 * The one door through which the engine reaches time and randomness. Production uses the real clock
 * and `node:crypto`; the simulator injects a virtual clock and a seeded generator, which is what makes
 * a run reproducible from its seed. The engine never calls Date, setTimeout or Math.random itself.
 */

export interface Timer {
  /** Stops the timer if it has not fired yet. Idempotent. */
  cancel(): void;
}

export interface Runtime {
  /** Monotonic milliseconds (may be fractional). Only differences between values mean anything. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (0 or less: as soon as possible, never synchronously). */
  setTimer(ms: number, fn: () => void): Timer;
  /** A uniformly distributed number in [0, 1). */
  random(): number;
  /** `n` random bytes (AES-GCM nonces). */
  randomBytes(n: number): Uint8Array;
}

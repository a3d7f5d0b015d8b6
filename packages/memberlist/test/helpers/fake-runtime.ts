/** A manual clock for unit tests: timers fire only when the test advances time. */
import type { Runtime, Timer } from "../../src/driver.ts";

export class FakeRuntime implements Runtime {
  private t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  private rngState: number;

  constructor(seed = 1) {
    this.rngState = seed >>> 0 || 1;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(entry);
    return {
      cancel: () => {
        entry.live = false;
      },
    };
  }

  /** xorshift32: deterministic and good enough for tests. */
  random(): number {
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState / 2 ** 32;
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }

  /** Advances the clock by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      next.live = false;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** Moves the clock by `ms` without firing anything, as a blocked event loop does; timers then fire late. */
  stall(ms: number): void {
    this.t += ms;
  }

  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

/**
 * Test doubles for StreamReader tests: a stream fed by hand and a timer fired by hand.
 */
import type { Address, Stream, Timer } from "../../src/driver.ts";

/** A stream whose incoming chunks and end are pushed by the test. */
export class FakeStream implements Stream {
  readonly remote: Address = { host: "192.0.2.10", port: 7946 };
  readonly written: Uint8Array[] = [];
  closed = false;
  reads = 0;
  private readonly chunks: (Uint8Array | null)[] = [];
  private readonly waiters: Array<(c: Uint8Array | null) => void> = [];

  /** Delivers a chunk (or `null`, the end of the stream) to the next read. */
  feed(chunk: Uint8Array | null): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(chunk);
    else this.chunks.push(chunk);
  }

  read(): Promise<Uint8Array | null> {
    this.reads++;
    if (this.closed) return Promise.resolve(null);
    if (this.chunks.length > 0) {
      const c = this.chunks[0];
      if (c !== null) this.chunks.shift(); // the end stays the end
      return Promise.resolve(c ?? null);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async write(buf: Uint8Array): Promise<void> {
    this.written.push(buf);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
  }
}

/** Timers that fire only when the test says so. */
export class ManualTimers {
  readonly armed: Array<{ ms: number; fn: () => void; cancelled: boolean }> = [];

  readonly setTimer = (ms: number, fn: () => void): Timer => {
    const entry = { ms, fn, cancelled: false };
    this.armed.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  };

  /** Fires every timer set so far that was not cancelled. */
  fireAll(): void {
    for (const t of this.armed.splice(0)) if (!t.cancelled) t.fn();
  }

  get live(): number {
    return this.armed.filter((t) => !t.cancelled).length;
  }
}

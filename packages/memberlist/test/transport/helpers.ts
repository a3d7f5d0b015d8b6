/**
 * Test helpers for the transports: a queue of delivered items that a test awaits with a generous
 * deadline (the deadline only bounds a failing test; it never paces a passing one).
 */
import { networkInterfaces } from "node:os";

export const DEADLINE_MS = 10_000;

/** Items pushed by a handler, awaited one by one. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.items.push(item);
  };

  get size(): number {
    return this.items.length;
  }

  next(what = "item", deadlineMs = DEADLINE_MS): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(onItem);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} within ${deadlineMs} ms`));
      }, deadlineMs);
      const onItem = (it: T): void => {
        clearTimeout(timer);
        resolve(it);
      };
      this.waiters.push(onItem);
    });
  }
}

/** Rejects if `promise` has not settled within the deadline; for awaits that could otherwise hang. */
export function within<T>(promise: Promise<T>, what: string, deadlineMs = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** True if this machine has an IPv6 loopback interface. */
export function hasIPv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === "::1"));
}

/** Deterministic bytes of a given length, so a corrupted or reordered transfer is detected. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Reads a stream until it ends, concatenating the chunks. */
export async function readAll(stream: { read(): Promise<Uint8Array | null> }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let c = await stream.read(); c !== null; c = await stream.read()) {
    chunks.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Reads exactly `n` bytes from a stream (fails if it ends first). */
export async function readN(stream: { read(): Promise<Uint8Array | null> }, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const c = await stream.read();
    if (c === null) throw new Error(`stream ended after ${at} of ${n} bytes`);
    if (at + c.length > n) throw new Error(`stream sent ${at + c.length - n} bytes more than expected`);
    out.set(c, at);
    at += c.length;
  }
  return out;
}

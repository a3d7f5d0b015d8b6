/**
 * An in-memory replication driver for tests: a clock that moves only when the test says so, and
 * byte streams that deliver as soon as the reader's promise resolves. No timer or socket is real,
 * so what a test checks cannot depend on the machine's speed.
 */
import { randomBytes } from "node:crypto";
import { setImmediate as turn } from "node:timers/promises";
import type { LinkNetwork, Runtime, Stream, Timer } from "../src/index.ts";

/** A clock that stands still: timers run only from {@link runDue}, after {@link advance}. */
export class CrankedRuntime implements Runtime {
  private t = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): Timer {
    const timer = { at: this.t + Math.max(0, ms), fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }
  random(): number {
    return Math.random();
  }
  randomBytes(n: number): Uint8Array {
    return randomBytes(n);
  }
  /** Timers armed and not run or cancelled. */
  get pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  /** Runs the timers due now; returns how many ran. */
  runDue(): number {
    const due = this.timers.filter((x) => x.at <= this.t && !x.cancelled);
    this.timers = this.timers.filter((x) => x.at > this.t && !x.cancelled);
    for (const x of due) x.fn();
    return due.length;
  }
}

/** One end of an in-memory byte stream. */
export class MemoryStream implements Stream {
  peer!: MemoryStream;
  /** Writes made on this end (one per frame: links write frame by frame). */
  writes = 0;
  private readonly chunks: Uint8Array[] = [];
  private reader: ((chunk: Uint8Array | null) => void) | null = null;
  private ended = false;
  constructor(readonly remote: { host: string; port: number }) {}
  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }
  write(buf: Uint8Array): Promise<void> {
    if (this.ended) return Promise.reject(new Error("closed"));
    this.writes++;
    this.peer.deliver(Uint8Array.from(buf));
    return Promise.resolve();
  }
  close(): void {
    this.end();
    this.peer.end();
  }
  private deliver(chunk: Uint8Array | null): void {
    if (this.ended) return;
    const reader = this.reader;
    this.reader = null;
    if (reader !== null) reader(chunk);
    else if (chunk !== null) this.chunks.push(chunk);
  }
  private end(): void {
    if (this.ended) return;
    this.deliver(null);
    this.ended = true;
  }
}

/** Replication endpoints by `host:port`, connected by {@link MemoryStream}s. */
export class MemoryNetwork {
  private readonly handlers = new Map<string, (stream: Stream) => void>();
  /** Every stream end, dialled ones first in each pair. */
  readonly streams: MemoryStream[] = [];
  node(addr: string): LinkNetwork {
    const host = addr.split(":")[0]!;
    return {
      dial: (target) => {
        const accept = this.handlers.get(target);
        if (accept === undefined) return Promise.reject(new Error(`nothing at ${target}`));
        const ours = new MemoryStream({ host: target.split(":")[0]!, port: 8080 });
        const theirs = new MemoryStream({ host, port: 40000 });
        ours.peer = theirs;
        theirs.peer = ours;
        this.streams.push(ours, theirs);
        accept(theirs);
        return Promise.resolve(ours);
      },
      setAcceptHandler: (handler) => void this.handlers.set(addr, handler),
    };
  }
}

/** Lets every resolved promise run (bytes in flight arrive), without running any timer. */
export async function drainBytes(): Promise<void> {
  for (let i = 0; i < 20; i++) await turn();
}

/**
 * The virtual clock and the event loop of the simulator. Time only moves when the loop takes the
 * next due event; after every event that ran application code the loop lets the JavaScript
 * microtask queue run dry, so the engine's promise continuations run at the instant they belong
 * to and before the next callback, exactly as they would after a real timer or I/O callback.
 * Nothing here reads the wall clock, so a run depends on its seed alone.
 */
import { EventQueue } from "./event-queue.ts";
import type { TraceHash } from "./trace.ts";

/** Something that can hold an event back while its node is stalled. */
export interface StallGate {
  /** True while the node's event loop is blocked. */
  readonly stalled: boolean;
  /** Keeps `event` until the stall ends; the node then runs it late, in order. */
  hold(event: SimEvent): void;
}

/**
 * One scheduled thing. Subclasses carry their own data (no closure per event) and do their work in
 * `fire`. `gate` is the node whose event loop must run it; network and control events have none.
 */
export abstract class SimEvent {
  gate: StallGate | null;
  /** A small integer mixed into the trace hash, e.g. the node id. */
  traceKey: number;
  /** Bytes this event takes in a stalled node's receive buffer (datagrams only). */
  holdBytes = 0;
  constructor(gate: StallGate | null, traceKey: number) {
    this.gate = gate;
    this.traceKey = traceKey;
  }
  /** Event kind for the trace; constant per subclass. */
  abstract get kind(): number;
  /** Does the event's work; returns false if no application code ran (nothing to drain after). */
  abstract fire(): boolean;
}

/**
 * Resolves once the microtask queue has run dry. Node runs process.nextTick callbacks only after
 * V8 has emptied the microtask queue (including jobs queued by jobs), so this is exact and about
 * four times cheaper than a trip through the libuv loop. It never yields to real I/O, though, so
 * the loop also takes a real macrotask turn now and then ({@link MACROTASK_EVERY}).
 */
function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => process.nextTick(resolve));
}

/** Yields to the macrotask queue, letting real timers, signals and I/O of the host process run. */
function yieldToHost(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Drains between two real-event-loop turns: keeps Ctrl-C and test-runner timeouts responsive. */
const MACROTASK_EVERY = 4096;

export interface SchedulerOptions {
  /**
   * Events due within this many ms of the first event of a batch run back to back before the
   * microtask queue is drained. 0 (the default) is exact, as in Node: the queue is drained after
   * every event that ran application code, even between events of the same instant.
   */
  batchWindowMs?: number;
  trace?: TraceHash | null;
}

/** Counters about the loop itself, for benchmarks. */
export interface SchedulerStats {
  events: number;
  drains: number;
  held: number;
}

export class Scheduler {
  private readonly queue = new EventQueue<SimEvent>();
  private current = 0;
  private stopped = false;
  private readonly batchWindow: number;
  readonly trace: TraceHash | null;
  readonly stats: SchedulerStats = { events: 0, drains: 0, held: 0 };
  /** Called when an event's `fire` throws; by default the run stops and rejects with the error. */
  onError: ((err: unknown, event: SimEvent) => void) | null = null;
  private pendingError: { err: unknown } | null = null;

  constructor(options: SchedulerOptions = {}) {
    this.batchWindow = options.batchWindowMs ?? 0;
    this.trace = options.trace ?? null;
  }

  /** Virtual milliseconds since the start of the run. */
  get now(): number {
    return this.current;
  }

  /** Number of events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Schedules `event` at absolute virtual time `time` (never earlier than now). */
  at(time: number, event: SimEvent): void {
    this.queue.push(Math.max(time, this.current), event);
  }

  /** Schedules `event` `delayMs` from now. */
  after(delayMs: number, event: SimEvent): void {
    this.queue.push(delayMs > 0 ? this.current + delayMs : this.current, event);
  }

  /** Makes the running `runUntil` return after the current batch. */
  stop(): void {
    this.stopped = true;
  }

  /** Records an error raised outside an event (e.g. a rejected engine promise) and stops the run. */
  fail(err: unknown): void {
    if (this.pendingError === null) this.pendingError = { err };
    this.stopped = true;
  }

  /**
   * Runs events in (time, sequence) order until the next one is due after `endMs`, then sets the
   * clock to `endMs`. Rejects with the first error an event threw (unless `onError` handles it).
   */
  async runUntil(endMs: number): Promise<void> {
    this.stopped = false;
    const queue = this.queue;
    const trace = this.trace;
    const stats = this.stats;
    const exact = this.batchWindow === 0;
    await yieldToHost();
    while (!this.stopped) {
      const t = queue.peekTime();
      if (t > endMs) break;
      const limit = Math.min(t + this.batchWindow, endMs);
      // Only application code can queue microtasks; a batch of no-ops (cancelled timers, packets
      // to dead nodes) needs no drain.
      let ranCode = false;
      for (let et = t; et <= limit; et = queue.peekTime()) {
        // Inside a batch window the clock still follows each event, so now() is never early.
        if (et > this.current) this.current = et;
        const event = queue.pop()!;
        const gate = event.gate;
        if (gate?.stalled) {
          stats.held++;
          gate.hold(event);
          continue;
        }
        stats.events++;
        if (trace !== null) {
          trace.time(this.current);
          trace.word(event.kind);
          trace.word(event.traceKey);
        }
        try {
          if (event.fire()) ranCode = true;
        } catch (err) {
          ranCode = true;
          if (this.onError !== null) this.onError(err, event);
          else this.fail(err);
        }
        // Node drains microtasks after every callback; without a batch window, so do we.
        if (ranCode && exact) break;
      }
      if (ranCode) {
        stats.drains++;
        if ((stats.drains & (MACROTASK_EVERY - 1)) === 0) await yieldToHost();
        else await drainMicrotasks();
      }
    }
    if (this.pendingError !== null) {
      const { err } = this.pendingError;
      this.pendingError = null;
      throw err;
    }
    if (!this.stopped && endMs > this.current && Number.isFinite(endMs)) this.current = endMs;
  }
}

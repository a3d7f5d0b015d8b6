/**
 * One process on a simulated node: the engine's `Runtime` (virtual clock, timers, seeded random
 * numbers) and its `Transport`. When the process dies, its timers never fire and its transport
 * sends nothing more; a restart makes a new SimProcess with a fresh random sub-stream.
 */
import type { Runtime, Timer } from "@shoal/memberlist";
import { EventKind } from "./event-kinds.ts";
import type { Network } from "./network.ts";
import type { SimNode } from "./node.ts";
import { Rng, StreamPurpose } from "./prng.ts";
import { type Scheduler, SimEvent } from "./scheduler.ts";
import type { StreamEnd } from "./stream.ts";
import { SimTransport } from "./transport.ts";

/** A timer is its own event: no closure beyond the callback the engine hands in. */
class TimerEvent extends SimEvent implements Timer {
  private readonly proc: SimProcess;
  private fn: (() => void) | null;
  constructor(proc: SimProcess, fn: () => void) {
    super(proc.node, proc.node.id);
    this.proc = proc;
    this.fn = fn;
  }
  get kind(): number {
    return EventKind.Timer;
  }
  cancel(): void {
    // Dropping the callback lets it be collected even though the event stays queued until due.
    this.fn = null;
  }
  fire(): boolean {
    const fn = this.fn;
    if (fn === null || !this.proc.alive) return false;
    this.fn = null;
    fn();
    return true;
  }
}

const CANCELLED_TIMER: Timer = { cancel() {} };

export class SimProcess implements Runtime {
  /** False once the process crashed or stopped: from then on it does nothing at all. */
  alive = true;
  readonly node: SimNode;
  readonly transport: SimTransport;
  /** Open stream ends owned by this process, so a crash can tear them down. */
  readonly streams = new Set<StreamEnd>();
  private readonly scheduler: Scheduler;
  private readonly rng: Rng;

  /** @internal The scheduler, for the transport's dials. */
  get transportScheduler(): Scheduler {
    return this.scheduler;
  }

  constructor(runSeed: number, scheduler: Scheduler, network: Network, node: SimNode) {
    this.scheduler = scheduler;
    this.node = node;
    this.rng = new Rng(runSeed, StreamPurpose.Process, node.id, node.epoch);
    this.transport = new SimTransport(this, network, node.port);
  }

  now(): number {
    return this.scheduler.now;
  }

  setTimer(ms: number, fn: () => void): Timer {
    if (!this.alive) return CANCELLED_TIMER;
    const t = new TimerEvent(this, fn);
    this.scheduler.after(ms, t);
    return t;
  }

  random(): number {
    return this.rng.float();
  }

  randomBytes(n: number): Uint8Array {
    return this.rng.bytes(n);
  }
}

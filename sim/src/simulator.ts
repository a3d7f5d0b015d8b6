/**
 * The simulator: a virtual clock, an in-memory network and a set of nodes, each running a real
 * application (in the end, a real Memberlist) built by a factory on the node's own Runtime and
 * Transport. Faults — crash, graceful leave, restart, stall, partition, bandwidth — are scheduled at
 * virtual times. The same seed gives the same run, event for event; {@link Simulator.traceHash}
 * proves it.
 */

import type { Address, Runtime, Transport } from "@shoal/memberlist";
import { ConfigError } from "@shoal/memberlist";
import { EventKind } from "./event-kinds.ts";
import { type LinkProfile, lanLink, validateLinkProfile } from "./link-profile.ts";
import { Network } from "./network.ts";
import { SimNode } from "./node.ts";
import { SimProcess } from "./process.ts";
import { SimFailure } from "./replay.ts";
import { Scheduler, type SchedulerStats, SimEvent, type StallGate } from "./scheduler.ts";
import { TraceHash } from "./trace.ts";

/** What the simulator needs from an application to stop it gracefully. Both are optional. */
export interface SimApp {
  leave?(timeoutMs: number): Promise<void>;
  shutdown?(): Promise<void>;
}

/** Everything a factory gets to build one process's application. */
export interface StartContext<A> {
  node: SimNode<A>;
  name: string;
  /** The node's IP and port. */
  address: Address;
  runtime: Runtime;
  transport: Transport;
}

export type AppFactory<A> = (ctx: StartContext<A>) => A | Promise<A>;

export interface SimulatorOptions {
  /** The run seed (a safe integer >= 0). */
  seed: number;
  /** The default link profile (LAN by default). */
  link?: LinkProfile;
  /** The port every node binds (memberlist's 7946 by default). */
  port?: number;
  /** See SchedulerOptions.batchWindowMs. */
  batchWindowMs?: number;
  /** "events" (default) hashes every event; "bytes" also every delivered datagram; "off" nothing. */
  trace?: "off" | "events" | "bytes";
  /** UDP receive buffer per node: what a stalled node can hold before datagrams drop (Linux default). */
  udpRecvBufferBytes?: number;
  /** The command that replays this run, printed with any failure. */
  replayCommand?: string;
  /**
   * How a node works off its backlog when a stall ends. "in-order" (default): everything in the
   * order it fell due. "timers-first": expired timers first, then I/O in arrival order, as libuv's
   * loop does after a block (timers phase before poll phase), so a probe can time out even though
   * its ack is already waiting in the socket buffer.
   */
  stallBacklog?: "in-order" | "timers-first";
}

/** A scheduled action of the scenario itself, on no node's event loop (or on one, with a gate). */
class ControlEvent extends SimEvent {
  private readonly fn: () => void;
  constructor(gate: StallGate | null, traceKey: number, fn: () => void) {
    super(gate, traceKey);
    this.fn = fn;
  }
  get kind(): number {
    return EventKind.Control;
  }
  fire(): boolean {
    this.fn();
    return true;
  }
}

/** A handle on an active partition. */
export interface PartitionHandle {
  /** Heals it now, or at `atMs`. */
  heal(atMs?: number): void;
}

export class Simulator<A extends SimApp = SimApp> {
  readonly seed: number;
  readonly scheduler: Scheduler;
  readonly network: Network;
  readonly nodes: SimNode<A>[] = [];
  private readonly factory: AppFactory<A>;
  private readonly port: number;
  private readonly udpRecvBufferBytes: number;
  private readonly trace: TraceHash | null;
  private readonly replayCommand: string;
  private nextAddress = 0;
  private failure: SimFailure | null = null;
  private readonly timersFirst: boolean;

  constructor(options: SimulatorOptions, factory: AppFactory<A>) {
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
      throw new ConfigError(`seed must be a safe integer >= 0, got ${options.seed}`);
    }
    this.seed = options.seed;
    this.factory = factory;
    this.port = options.port ?? 7946;
    this.udpRecvBufferBytes = options.udpRecvBufferBytes ?? 212992;
    this.replayCommand = options.replayCommand ?? `(seed ${options.seed})`;
    this.timersFirst = options.stallBacklog === "timers-first";
    const mode = options.trace ?? "events";
    this.trace = mode === "off" ? null : new TraceHash();
    this.scheduler = new Scheduler({ batchWindowMs: options.batchWindowMs ?? 0, trace: this.trace });
    this.scheduler.onError = (err) => this.fail(err);
    this.network = new Network(
      this.scheduler,
      options.link ?? lanLink(),
      mode === "bytes" ? this.trace : null,
    );
  }

  /** Virtual milliseconds since the start. */
  get now(): number {
    return this.scheduler.now;
  }

  /** Loop counters (events fired, drains, events held by stalls). */
  get stats(): SchedulerStats {
    return this.scheduler.stats;
  }

  /** The trace hash so far (16 hex digits), or "" when tracing is off. */
  traceHash(): string {
    return this.trace === null ? "" : this.trace.hex();
  }

  /** The node with this id; throws a ConfigError if there is none. */
  node(id: number): SimNode<A> {
    const n = this.nodes[id];
    if (n === undefined) throw new ConfigError(`no node ${id}`);
    return n;
  }

  /** Adds a node and starts its first process at `atMs` (default: now). Ids are 0, 1, 2, … */
  addNode(options: { name?: string; atMs?: number } = {}): SimNode<A> {
    const id = this.nodes.length;
    const name = options.name ?? `node-${id}`;
    if (this.network.nodeNamed(name) !== undefined) throw new ConfigError(`duplicate node name ${name}`);
    const node = new SimNode<A>(this.seed, id, name, this.allocateIp(), this.port, this.udpRecvBufferBytes);
    this.nodes.push(node);
    this.network.attach(node);
    this.control(options.atMs, null, id, () => this.startProcess(node));
    return node;
  }

  /** Runs `fn` at virtual time `atMs` (a scenario step). A returned promise's rejection fails the run. */
  at(atMs: number, fn: () => unknown): void {
    this.control(atMs, null, -1, () => this.guard(fn()));
  }

  /** Runs `fn` every `periodMs` from `startMs` (default: one period from now) until `untilMs`. */
  every(periodMs: number, fn: () => unknown, options: { startMs?: number; untilMs?: number } = {}): void {
    if (!(periodMs > 0)) throw new ConfigError("every: periodMs must be > 0");
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    const tick = (): void => {
      this.guard(fn());
      const next = this.now + periodMs;
      if (next <= until) this.scheduler.at(next, new ControlEvent(null, -2, tick));
    };
    const start = options.startMs ?? this.now + periodMs;
    if (start <= until) this.scheduler.at(start, new ControlEvent(null, -2, tick));
  }

  /**
   * Kills node `id`'s process at `atMs`: it sends nothing more and its timers never fire. With
   * `hostDown` (default) the machine is gone too (dials time out); otherwise its kernel still
   * answers, refusing connections and resetting open streams.
   */
  crash(id: number, options: { atMs?: number; hostDown?: boolean } = {}): void {
    const node = this.node(id);
    this.control(options.atMs, null, id, () => this.killProcess(node, "crashed", options.hostDown ?? true));
  }

  /**
   * Asks node `id`'s application to leave gracefully at `atMs` (its `leave(timeoutMs)` then
   * `shutdown()`); the process exits when they finish. A failed leave is kept in
   * `node.leaveError`; the node still shuts down. Runs on the node's event loop, so a
   * stalled node leaves when the stall ends.
   */
  leave(id: number, options: { atMs?: number; timeoutMs?: number } = {}): void {
    const node = this.node(id);
    this.control(options.atMs, node, id, () => {
      const app = node.app;
      const proc = node.process;
      if (app === null || proc === null || !proc.alive) return;
      const timeout = options.timeoutMs ?? 1000;
      const done = (async () => {
        try {
          if (app.leave !== undefined) await app.leave(timeout);
        } catch (err) {
          // A leave that times out (nobody to tell, say) is the application's weather, not a bug.
          node.leaveError = err;
        }
        if (app.shutdown !== undefined) await app.shutdown();
      })();
      done.then(
        () => {
          if (node.process === proc) this.killProcess(node, "stopped", false);
        },
        (err: unknown) => this.fail(err),
      );
    });
  }

  /** Shuts node `id`'s application down at `atMs` without a leave, then ends the process. */
  shutdown(id: number, options: { atMs?: number } = {}): void {
    const node = this.node(id);
    this.control(options.atMs, node, id, () => {
      const app = node.app;
      const proc = node.process;
      if (proc === null || !proc.alive) return;
      const done = app?.shutdown !== undefined ? app.shutdown() : Promise.resolve();
      done.then(
        () => {
          if (node.process === proc) this.killProcess(node, "stopped", false);
        },
        (err: unknown) => this.fail(err),
      );
    });
  }

  /**
   * Starts a new process on node `id` at `atMs` (killing a running one first, like a supervisor
   * restarting a hung service), on the same address or, with `newAddress`, on a fresh one.
   */
  restart(id: number, options: { atMs?: number; newAddress?: boolean } = {}): void {
    const node = this.node(id);
    this.control(options.atMs, null, id, () => {
      if (node.process !== null) this.killProcess(node, "crashed", false);
      if (options.newAddress === true) {
        this.network.detachIp(node.ip);
        node.ip = this.allocateIp();
        this.network.attach(node);
      }
      this.startProcess(node);
    });
  }

  /**
   * Blocks node `id`'s event loop from `atMs` for `durationMs`: timers and deliveries are held
   * (datagrams up to the receive buffer) and run late, in order, when it ends, seeing the late clock.
   */
  stall(id: number, options: { atMs?: number; durationMs: number }): void {
    const node = this.node(id);
    if (!(options.durationMs >= 0)) throw new ConfigError("stall: durationMs must be >= 0");
    this.control(options.atMs, null, id, () => {
      if (node.process === null) return;
      const end = this.now + options.durationMs;
      const current = node.stalled ? node.stalls[node.stalls.length - 1] : undefined;
      if (current !== undefined) {
        if (end > current.end) current.end = end;
      } else {
        node.stalled = true;
        node.stalls.push({ start: this.now, end });
      }
      const record = node.stalls[node.stalls.length - 1]!;
      const epoch = node.epoch;
      this.scheduler.at(end, new ControlEvent(null, id, () => this.endStall(node, record, epoch)));
    });
  }

  /**
   * Partitions the network at `atMs`: nothing from `from` reaches `to` and, unless `oneWay`,
   * nothing from `to` reaches `from`. Established streams across it stall for good.
   */
  partition(
    from: number[],
    to: number[],
    options: { atMs?: number; oneWay?: boolean } = {},
  ): PartitionHandle {
    let id = 0;
    let healed = false;
    this.control(options.atMs, null, -3, () => {
      if (!healed) id = this.network.partitions.block(from, to, options.oneWay !== true);
    });
    return {
      heal: (atMs?: number) =>
        this.control(atMs, null, -3, () => {
          healed = true;
          if (id !== 0) this.network.partitions.heal(id);
        }),
    };
  }

  /**
   * Makes node `id` slow from `atMs` for `durationMs`: everything that reaches it (datagrams,
   * stream data, connections) is handled `delayMs` late, while its timers still fire on time, as
   * in a process whose event loop is busy with a backlog of I/O.
   */
  slow(id: number, options: { atMs?: number; durationMs: number; delayMs: number }): void {
    const node = this.node(id);
    if (!(options.durationMs >= 0 && options.delayMs >= 0))
      throw new ConfigError("slow: durations must be >= 0");
    const start = options.atMs ?? this.now;
    this.control(start, null, id, () => {
      node.receiveDelayMs = options.delayMs;
    });
    this.control(start + options.durationMs, null, id, () => {
      node.receiveDelayMs = 0;
    });
  }

  /** Sets node `id`'s bandwidth caps in bytes per second (0: unlimited) and its queue limit. */
  setBandwidth(
    id: number,
    caps: { egressBytesPerSec?: number; ingressBytesPerSec?: number; maxQueueMs?: number },
  ): void {
    const node = this.node(id);
    for (const v of [caps.egressBytesPerSec, caps.ingressBytesPerSec, caps.maxQueueMs]) {
      if (v !== undefined && !(v >= 0)) throw new ConfigError("bandwidth caps must be >= 0");
    }
    if (caps.egressBytesPerSec !== undefined) node.egressBytesPerSec = caps.egressBytesPerSec;
    if (caps.ingressBytesPerSec !== undefined) node.ingressBytesPerSec = caps.ingressBytesPerSec;
    if (caps.maxQueueMs !== undefined) node.maxQueueMs = caps.maxQueueMs;
  }

  /** Sets the profile of packets node `id` sends (null: back to the network default). */
  setNodeLink(id: number, profile: LinkProfile | null): void {
    if (profile !== null) validateLinkProfile(profile);
    this.node(id).link = profile;
  }

  /**
   * Runs until virtual time `untilMs`. Rejects with a {@link SimFailure} (seed, virtual time and
   * replay command included) if anything failed: an event threw, or a promise the simulator
   * awaited on an application's behalf rejected.
   */
  async run(untilMs: number): Promise<void> {
    try {
      await this.scheduler.runUntil(untilMs);
    } catch (err) {
      this.fail(err);
    }
    if (this.failure !== null) throw this.failure;
  }

  /** Runs for `ms` more virtual milliseconds. */
  runFor(ms: number): Promise<void> {
    return this.run(this.now + ms);
  }

  /** Wraps `err` with the seed and replay command, and stops the run. */
  fail(err: unknown): void {
    if (this.failure !== null) return;
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.failure =
      err instanceof SimFailure ? err : new SimFailure(message, this.seed, this.replayCommand, this.now, err);
    this.scheduler.stop();
  }

  /** A failure with this run's seed and replay command, for scenario checks. */
  failureOf(message: string): SimFailure {
    return new SimFailure(message, this.seed, this.replayCommand, this.now);
  }

  private guard(result: unknown): void {
    if (result instanceof Promise) result.catch((err: unknown) => this.fail(err));
  }

  private control(atMs: number | undefined, gate: StallGate | null, key: number, fn: () => void): void {
    this.scheduler.at(atMs ?? this.now, new ControlEvent(gate, key, fn));
  }

  /** 10.0.0.1, 10.0.0.2, … skipping .0 and .255 in the last octet. */
  private allocateIp(): string {
    const k = this.nextAddress++;
    const block = Math.floor(k / 254);
    return `10.${(block >> 8) & 255}.${block & 255}.${(k % 254) + 1}`;
  }

  private startProcess(node: SimNode<A>): void {
    node.epoch++;
    node.hostUp = true;
    node.status = "running";
    node.stalled = false;
    node.takeBacklog();
    const proc = new SimProcess(this.seed, this.scheduler, this.network, node);
    node.process = proc;
    node.app = null;
    const ctx: StartContext<A> = {
      node,
      name: node.name,
      address: { host: node.ip, port: node.port },
      runtime: proc,
      transport: proc.transport,
    };
    let made: A | Promise<A>;
    try {
      made = this.factory(ctx);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (made instanceof Promise) {
      made.then(
        (app) => {
          if (node.process === proc && proc.alive) node.app = app;
        },
        (err: unknown) => this.fail(err),
      );
    } else node.app = made;
  }

  private killProcess(node: SimNode<A>, status: "crashed" | "stopped", hostDown: boolean): void {
    const proc = node.process;
    if (proc === null) return;
    proc.alive = false;
    node.hostUp = !hostDown;
    for (const end of proc.streams) end.kill(node.hostUp);
    proc.streams.clear();
    node.process = null;
    node.app = null;
    node.status = status;
    node.stalled = false;
    node.takeBacklog();
  }

  private endStall(node: SimNode<A>, record: { start: number; end: number }, epoch: number): void {
    if (node.epoch !== epoch || !node.stalled) return;
    if (record.end > this.now) return; // extended: a later event ends it
    node.stalled = false;
    // Re-queue the backlog at this instant, in the order it was due: the node runs it late.
    const backlog = node.takeBacklog();
    if (this.timersFirst) {
      for (const event of backlog) if (event.kind === EventKind.Timer) this.scheduler.at(this.now, event);
      for (const event of backlog) if (event.kind !== EventKind.Timer) this.scheduler.at(this.now, event);
    } else {
      for (const event of backlog) this.scheduler.at(this.now, event);
    }
  }
}

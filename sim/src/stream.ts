/**
 * Simulated TCP streams. A connection is a pair of ends; bytes written on one end arrive at the
 * other after the link's latency, in order per direction (an arrival is never earlier than the one
 * before it). A partition breaks a direction for good, as a stuck TCP connection would be until the
 * engine's own deadline gives up on it. Every event that touches an end runs on the owning node's
 * event loop, so a stalled node sees its reads complete only when the stall ends.
 */

import type { Address, Stream } from "@shoal/memberlist";
import { NetworkError } from "@shoal/memberlist";
import { EventKind } from "./event-kinds.ts";
import { LOST, type Network, TCP_OVERHEAD } from "./network.ts";
import type { SimProcess } from "./process.ts";
import { type Scheduler, SimEvent } from "./scheduler.ts";

const RESOLVED: Promise<void> = Promise.resolve();

export class StreamEnd implements Stream {
  readonly remote: Address;
  readonly proc: SimProcess;
  /** The other end; set right after both are made. */
  peer!: StreamEnd;
  private readonly network: Network;
  private readonly scheduler: Scheduler;
  private inbox: Uint8Array[] = [];
  private readers: ((chunk: Uint8Array | null) => void)[] = [];
  private closed = false;
  private finReceived = false;
  private resetReceived = false;
  /** Arrival time of the last thing sent towards the peer; later ones never overtake it. */
  lastArrival = 0;
  /** The outgoing direction lost a segment for good (partition, host down). */
  private broken = false;

  constructor(network: Network, scheduler: Scheduler, proc: SimProcess, remote: Address) {
    this.network = network;
    this.scheduler = scheduler;
    this.proc = proc;
    this.remote = remote;
    proc.streams.add(this);
  }

  read(): Promise<Uint8Array | null> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.closed || this.finReceived || this.resetReceived) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  write(buf: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError("write on a closed stream"));
    if (this.resetReceived || this.finReceived) {
      return Promise.reject(new NetworkError(`connection reset by ${this.remote.host}:${this.remote.port}`));
    }
    if (!this.proc.alive || buf.length === 0) return RESOLVED;
    const counters = this.proc.node.counters;
    counters.streamBytesSent += buf.length + TCP_OVERHEAD;
    counters.bytesSent += buf.length + TCP_OVERHEAD;
    this.sendTowardsPeer(new ChunkEvent(this.peer, buf.slice()), buf.length + TCP_OVERHEAD);
    return RESOLVED;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox = [];
    this.flushReaders();
    this.proc.streams.delete(this);
    if (this.proc.alive) this.sendTowardsPeer(new CloseEvent(this.peer, false), TCP_OVERHEAD);
  }

  /** The owning process died. With its host still up the kernel resets the peer; otherwise silence. */
  kill(hostUp: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox = [];
    this.readers = [];
    if (hostUp) this.sendTowardsPeer(new CloseEvent(this.peer, true), TCP_OVERHEAD);
  }

  /** Schedules `event` to reach the peer after the link's latency, never before earlier sends. */
  private sendTowardsPeer(event: SimEvent, wireBytes: number): void {
    if (this.broken) return;
    const peerNode = this.peer.proc.node;
    let arrive = peerNode.hostUp ? this.network.transit(this.proc.node, peerNode, wireBytes, true) : LOST;
    if (arrive === LOST) {
      this.broken = true;
      return;
    }
    if (arrive < this.lastArrival) arrive = this.lastArrival;
    this.lastArrival = arrive;
    this.scheduler.at(arrive, event);
  }

  /** @internal A chunk from the peer arrived. */
  receive(chunk: Uint8Array): boolean {
    if (this.closed || this.resetReceived || !this.proc.alive) return false;
    const c = this.proc.node.counters;
    c.bytesReceived += chunk.length + TCP_OVERHEAD;
    const reader = this.readers.shift();
    if (reader === undefined) {
      this.inbox.push(chunk);
      return false;
    }
    reader(chunk);
    return true;
  }

  /** @internal The peer closed. */
  receiveFin(): boolean {
    if (this.closed || !this.proc.alive) return false;
    this.finReceived = true;
    return this.inbox.length === 0 && this.flushReaders();
  }

  /** @internal The peer's kernel reset the connection. */
  receiveReset(): boolean {
    if (this.closed || !this.proc.alive) return false;
    this.resetReceived = true;
    this.inbox = [];
    return this.flushReaders();
  }

  /** Resolves every pending read with null; true if there was one. */
  private flushReaders(): boolean {
    const readers = this.readers;
    if (readers.length === 0) return false;
    this.readers = [];
    for (const r of readers) r(null);
    return true;
  }
}

class ChunkEvent extends SimEvent {
  private readonly end: StreamEnd;
  private readonly chunk: Uint8Array;
  constructor(end: StreamEnd, chunk: Uint8Array) {
    super(end.proc.node, end.proc.node.id);
    this.end = end;
    this.chunk = chunk;
  }
  get kind(): number {
    return EventKind.StreamChunk;
  }
  fire(): boolean {
    return this.end.receive(this.chunk);
  }
}

/** The end of one direction of a stream: an orderly FIN or an abortive reset. */
class CloseEvent extends SimEvent {
  private readonly end: StreamEnd;
  private readonly reset: boolean;
  constructor(end: StreamEnd, reset: boolean) {
    super(end.proc.node, end.proc.node.id);
    this.end = end;
    this.reset = reset;
  }
  get kind(): number {
    return this.reset ? EventKind.StreamReset : EventKind.StreamFin;
  }
  fire(): boolean {
    return this.reset ? this.end.receiveReset() : this.end.receiveFin();
  }
}

/** One `dial` call: settles once, by connection, refusal or timeout, whichever comes first. */
class DialAttempt {
  settled = false;
  readonly proc: SimProcess;
  readonly addr: Address;
  resolve!: (s: StreamEnd) => void;
  reject!: (err: NetworkError) => void;
  readonly promise: Promise<StreamEnd>;
  constructor(proc: SimProcess, addr: Address) {
    this.proc = proc;
    this.addr = { host: addr.host, port: addr.port };
    this.promise = new Promise<StreamEnd>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  fail(message: string): boolean {
    if (this.settled || !this.proc.alive) return false;
    this.settled = true;
    this.reject(new NetworkError(`dial ${this.addr.host}:${this.addr.port}: ${message}`));
    return true;
  }
}

class DialTimeoutEvent extends SimEvent {
  private readonly attempt: DialAttempt;
  private readonly timeoutMs: number;
  constructor(attempt: DialAttempt, timeoutMs: number) {
    super(attempt.proc.node, attempt.proc.node.id);
    this.attempt = attempt;
    this.timeoutMs = timeoutMs;
  }
  get kind(): number {
    return EventKind.DialTimeout;
  }
  fire(): boolean {
    return this.attempt.fail(`i/o timeout after ${this.timeoutMs} ms`);
  }
}

class DialRefusedEvent extends SimEvent {
  private readonly attempt: DialAttempt;
  constructor(attempt: DialAttempt) {
    super(attempt.proc.node, attempt.proc.node.id);
    this.attempt = attempt;
  }
  get kind(): number {
    return EventKind.DialRefused;
  }
  fire(): boolean {
    return this.attempt.fail("connection refused");
  }
}

class DialConnectedEvent extends SimEvent {
  private readonly attempt: DialAttempt;
  private readonly end: StreamEnd;
  constructor(attempt: DialAttempt, end: StreamEnd) {
    super(attempt.proc.node, attempt.proc.node.id);
    this.attempt = attempt;
    this.end = end;
  }
  get kind(): number {
    return EventKind.DialConnected;
  }
  fire(): boolean {
    const a = this.attempt;
    if (a.settled || !a.proc.alive) {
      // The caller gave up already: the late connection is closed, as Go's dialer would.
      this.end.close();
      return false;
    }
    a.settled = true;
    a.resolve(this.end);
    return true;
  }
}

class AcceptEvent extends SimEvent {
  private readonly end: StreamEnd;
  /** The port the client dialled. */
  private readonly port: number;
  constructor(end: StreamEnd, port: number) {
    super(end.proc.node, end.proc.node.id);
    this.end = end;
    this.port = port;
  }
  get kind(): number {
    return EventKind.Accept;
  }
  fire(): boolean {
    const proc = this.end.proc;
    const handler = proc.alive ? proc.transport.streamHandlerFor(this.end, this.port) : null;
    if (handler === null) {
      this.end.close();
      return false;
    }
    handler(this.end);
    return true;
  }
}

/** The SYN reaching the server's kernel: handled even when the server process is stalled. */
class DialSynEvent extends SimEvent {
  private readonly attempt: DialAttempt;
  private readonly network: Network;
  private readonly scheduler: Scheduler;
  private readonly ip: string;
  constructor(network: Network, scheduler: Scheduler, attempt: DialAttempt, ip: string) {
    super(null, attempt.proc.node.id);
    this.network = network;
    this.scheduler = scheduler;
    this.attempt = attempt;
    this.ip = ip;
  }
  get kind(): number {
    return EventKind.DialSyn;
  }
  fire(): boolean {
    this.connect();
    return false; // kernel work only: no application code runs here
  }
  private connect(): void {
    const a = this.attempt;
    const client = a.proc.node;
    const server = this.network.nodeAt(this.ip);
    if (server === undefined || !server.hostUp || !a.proc.alive) return;
    const back = this.network.transit(server, client, TCP_OVERHEAD, true);
    if (back === LOST) return;
    const proc = server.process;
    if (proc === null || !proc.alive || !proc.transport.listening(a.addr.port)) {
      this.scheduler.at(back, new DialRefusedEvent(a));
      return;
    }
    const clientEnd = new StreamEnd(this.network, this.scheduler, a.proc, a.addr);
    const serverEnd = new StreamEnd(this.network, this.scheduler, proc, {
      host: client.ip,
      port: client.ephemeralPort(),
    });
    clientEnd.peer = serverEnd;
    serverEnd.peer = clientEnd;
    // Server data must not reach the client before the client learns it is connected.
    serverEnd.lastArrival = back;
    this.scheduler.at(this.scheduler.now, new AcceptEvent(serverEnd, a.addr.port));
    this.scheduler.at(back, new DialConnectedEvent(a, clientEnd));
  }
}

/** Starts a dial from `proc`; the promise settles on connect, refusal, or after `timeoutMs`. */
export function dial(
  network: Network,
  scheduler: Scheduler,
  proc: SimProcess,
  addr: Address,
  timeoutMs: number,
): Promise<Stream> {
  const attempt = new DialAttempt(proc, addr);
  proc.node.counters.streamsOpened++;
  scheduler.after(timeoutMs, new DialTimeoutEvent(attempt, timeoutMs));
  const server = network.nodeAt(addr.host);
  if (server?.hostUp) {
    const arrive = network.transit(proc.node, server, TCP_OVERHEAD, true);
    if (arrive !== LOST) scheduler.at(arrive, new DialSynEvent(network, scheduler, attempt, addr.host));
  }
  return attempt.promise;
}

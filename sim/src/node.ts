/**
 * A simulated machine: a stable id and name, an IP address, the process currently running on it
 * (if any), its stall state, and its traffic counters. A node outlives its processes: a crash ends
 * the process, a restart starts a new one on the same node.
 */
import type { LinkProfile } from "./link-profile.ts";
import { Rng, StreamPurpose } from "./prng.ts";
import type { SimProcess } from "./process.ts";
import type { SimEvent, StallGate } from "./scheduler.ts";

/**
 * idle: not started yet; running: a process is up; crashed: the process died without a word;
 * stopped: the process left or shut down on purpose.
 */
export type NodeStatus = "idle" | "running" | "crashed" | "stopped";

/** Traffic counters of one node (datagrams and stream chunks, payload bytes plus IP/UDP/TCP headers). */
export interface NodeCounters {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Datagrams this node sent that were lost (loss, partition, no receiver, full queue). */
  packetsLost: number;
  /** Datagrams dropped because this node's receive buffer overflowed during a stall. */
  packetsOverflowed: number;
  streamsOpened: number;
  streamBytesSent: number;
}

export class SimNode<A = unknown> implements StallGate {
  readonly id: number;
  readonly name: string;
  ip: string;
  port: number;
  status: NodeStatus = "idle";
  /** False when the machine is off or unplugged: packets vanish and dials time out. */
  hostUp = false;
  process: SimProcess | null = null;
  /** The application object the factory returned for the current process. */
  app: A | null = null;
  /** What the last graceful leave threw, if it failed (e.g. a TimeoutError). */
  leaveError: unknown = undefined;
  /** Number of processes started on this node so far. */
  epoch = 0;
  stalled = false;
  /** Virtual times (ms) at which each stall began and ended, for scenarios to check against. */
  readonly stalls: { start: number; end: number }[] = [];
  /** Draws for packets this node sends. */
  readonly netRng: Rng;
  /** Overrides the network's default profile for packets this node sends. */
  link: LinkProfile | null = null;
  /**
   * Extra delay before this node gets to anything that arrives for it (datagrams, stream data,
   * connections): an event loop running behind on I/O while its timers still fire on time.
   */
  receiveDelayMs = 0;
  egressBytesPerSec = 0;
  ingressBytesPerSec = 0;
  maxQueueMs = Number.POSITIVE_INFINITY;
  egressBusyUntil = 0;
  ingressBusyUntil = 0;
  readonly counters: NodeCounters = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    packetsLost: 0,
    packetsOverflowed: 0,
    streamsOpened: 0,
    streamBytesSent: 0,
  };
  private backlog: SimEvent[] = [];
  private heldDatagramBytes = 0;
  private readonly udpRecvBufferBytes: number;
  private nextEphemeralPort = 40000;

  constructor(
    runSeed: number,
    id: number,
    name: string,
    ip: string,
    port: number,
    udpRecvBufferBytes: number,
  ) {
    this.id = id;
    this.name = name;
    this.ip = ip;
    this.port = port;
    this.netRng = new Rng(runSeed, StreamPurpose.Network, id);
    this.udpRecvBufferBytes = udpRecvBufferBytes;
  }

  /** True if a live process is running (stalled or not). */
  get running(): boolean {
    return this.status === "running";
  }

  /** Held while stalled, like a socket buffer filling while the event loop is blocked. */
  hold(event: SimEvent): void {
    const bytes = event.holdBytes;
    if (bytes > 0) {
      if (this.heldDatagramBytes + bytes > this.udpRecvBufferBytes) {
        this.counters.packetsOverflowed++;
        return;
      }
      this.heldDatagramBytes += bytes;
    }
    this.backlog.push(event);
  }

  /** Hands back the held events, oldest first, and empties the backlog. */
  takeBacklog(): SimEvent[] {
    const b = this.backlog;
    this.backlog = [];
    this.heldDatagramBytes = 0;
    return b;
  }

  /** Number of events currently held by a stall. */
  get backlogSize(): number {
    return this.backlog.length;
  }

  /** A fresh client-side port for an outgoing stream. */
  ephemeralPort(): number {
    const p = this.nextEphemeralPort++;
    if (this.nextEphemeralPort > 60999) this.nextEphemeralPort = 40000;
    return p;
  }
}

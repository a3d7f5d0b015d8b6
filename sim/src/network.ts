/**
 * The in-memory network: which node owns which IP, the default and per-link profiles, partitions
 * and bandwidth queues. It turns "node A sends n bytes to node B" into an arrival time (or a loss),
 * drawing every random number from the sender's network sub-stream.
 */
import type { Address } from "@shoal/memberlist";
import { EventKind } from "./event-kinds.ts";
import { type LinkProfile, sampleLatency, validateLinkProfile } from "./link-profile.ts";
import type { SimNode } from "./node.ts";
import { PartitionTable } from "./partitions.ts";
import { type Scheduler, SimEvent } from "./scheduler.ts";
import type { TraceHash } from "./trace.ts";

/** IPv4 + UDP headers, counted against bandwidth and in the byte counters. */
export const UDP_OVERHEAD = 28;
/** IPv4 + TCP headers per stream chunk. */
export const TCP_OVERHEAD = 40;
/** How long a lost stream segment delays its stream: Linux's minimum retransmission timeout. */
export const TCP_RETRANSMIT_MS = 200;
/** Result of {@link Network.transit} when the packet never arrives. */
export const LOST = -1;

/** A datagram in flight towards `ip:port`. */
class DatagramEvent extends SimEvent {
  private readonly dest: SimNode;
  private readonly ip: string;
  private readonly port: number;
  private readonly buf: Uint8Array;
  private readonly from: Address;
  private readonly network: Network;
  constructor(network: Network, dest: SimNode, port: number, buf: Uint8Array, from: Address) {
    super(dest, dest.id);
    this.network = network;
    this.dest = dest;
    this.ip = dest.ip;
    this.port = port;
    this.buf = buf;
    this.from = from;
    this.holdBytes = buf.length + UDP_OVERHEAD;
  }
  get kind(): number {
    return EventKind.Datagram;
  }
  fire(): boolean {
    const dest = this.dest;
    const proc = dest.process;
    // The node may have crashed, or restarted elsewhere, while the packet was in flight.
    if (proc === null || !proc.alive || dest.ip !== this.ip) return false;
    if (this.network.traceBytes !== null) this.network.traceBytes.bytes(this.buf);
    return proc.transport.deliverDatagram(this.port, this.buf, this.from);
  }
}

export class Network {
  readonly partitions = new PartitionTable();
  /** When set, every delivered datagram's bytes are mixed into this trace. */
  readonly traceBytes: TraceHash | null;
  private readonly scheduler: Scheduler;
  private readonly hosts = new Map<string, SimNode>();
  private readonly names = new Map<string, SimNode>();
  private readonly linkOverrides = new Map<number, LinkProfile>();
  private defaultProfile: LinkProfile;

  constructor(scheduler: Scheduler, defaultLink: LinkProfile, traceBytes: TraceHash | null) {
    validateLinkProfile(defaultLink);
    this.scheduler = scheduler;
    this.defaultProfile = defaultLink;
    this.traceBytes = traceBytes;
  }

  /** The profile of every link without an override. */
  get defaultLink(): LinkProfile {
    return this.defaultProfile;
  }

  set defaultLink(profile: LinkProfile) {
    validateLinkProfile(profile);
    this.defaultProfile = profile;
  }

  /** Overrides the profile of the directed link from -> to (node ids); `null` removes the override. */
  setLink(from: number, to: number, profile: LinkProfile | null): void {
    const key = from * 2097152 + to;
    if (profile === null) this.linkOverrides.delete(key);
    else {
      validateLinkProfile(profile);
      this.linkOverrides.set(key, profile);
    }
  }

  /** The profile a packet from -> to travels under: link override, else sender's, else default. */
  profile(from: SimNode, to: SimNode): LinkProfile {
    if (this.linkOverrides.size > 0) {
      const p = this.linkOverrides.get(from.id * 2097152 + to.id);
      if (p !== undefined) return p;
    }
    return from.link ?? this.defaultProfile;
  }

  /** Makes `node` reachable at its current IP and by its name. */
  attach(node: SimNode): void {
    this.hosts.set(node.ip, node);
    this.names.set(node.name, node);
  }

  /** Forgets an IP (the node moved to another address). */
  detachIp(ip: string): void {
    this.hosts.delete(ip);
  }

  /** The node that owns `ip`, if any. */
  nodeAt(ip: string): SimNode | undefined {
    return this.hosts.get(ip);
  }

  /** The node called `name`, if any. */
  nodeNamed(name: string): SimNode | undefined {
    return this.names.get(name);
  }

  /**
   * When `bytes` sent now from `from` reach `to`, or {@link LOST}. Applies partitions, the
   * sender's egress queue, the link's latency and loss, and the receiver's ingress queue.
   * With `reliable`, loss becomes a retransmission delay instead of a drop (TCP).
   */
  transit(from: SimNode, to: SimNode, wireBytes: number, reliable: boolean): number {
    if (this.partitions.size > 0 && this.partitions.blocked(from.id, to.id)) return LOST;
    const now = this.scheduler.now;
    let depart = now;
    if (from.egressBytesPerSec > 0) {
      const start = Math.max(from.egressBusyUntil, now);
      if (start - now > from.maxQueueMs) return LOST;
      depart = start + (wireBytes * 1000) / from.egressBytesPerSec;
      from.egressBusyUntil = depart;
    }
    const profile = this.profile(from, to);
    const rng = from.netRng;
    let arrive = depart + sampleLatency(profile.latency, rng);
    if (profile.loss > 0 && rng.float() < profile.loss) {
      if (!reliable) return LOST;
      arrive += TCP_RETRANSMIT_MS;
    }
    if (to.ingressBytesPerSec > 0) {
      const start = Math.max(to.ingressBusyUntil, arrive);
      if (start - arrive > to.maxQueueMs) return LOST;
      arrive = start + (wireBytes * 1000) / to.ingressBytesPerSec;
      to.ingressBusyUntil = arrive;
    }
    return arrive + to.receiveDelayMs;
  }

  /** Sends one datagram from `from`'s process; `source` is the address the receiver sees. */
  sendDatagram(from: SimNode, source: Address, buf: Uint8Array, addr: Address): void {
    const c = from.counters;
    const wire = buf.length + UDP_OVERHEAD;
    c.packetsSent++;
    c.bytesSent += wire;
    const to = this.hosts.get(addr.host);
    if (to === undefined || !to.hostUp) {
      c.packetsLost++;
      return;
    }
    // The network may copy a datagram; each copy then travels (and may be lost) on its own.
    const profile = this.profile(from, to);
    const copies = profile.duplicate > 0 && from.netRng.float() < profile.duplicate ? 2 : 1;
    // A private copy of the bytes: the engine may reuse its buffer once writeTo resolves.
    let bytes: Uint8Array | null = null;
    let delivered = false;
    for (let i = 0; i < copies; i++) {
      const arrive = this.transit(from, to, wire, false);
      if (arrive === LOST) continue;
      if (bytes === null) bytes = buf.slice();
      this.scheduler.at(arrive, new DatagramEvent(this, to, addr.port, bytes, source));
      delivered = true;
    }
    if (!delivered) c.packetsLost++;
  }
}

/**
 * The engine's `Transport` on the simulated network. One per process; it dies with the process.
 */

import type { Address, Packet, Stream, Transport } from "@shoal/memberlist";
import { NetworkError } from "@shoal/memberlist";
import { type Network, UDP_OVERHEAD } from "./network.ts";
import type { SimProcess } from "./process.ts";
import { dial } from "./stream.ts";

const RESOLVED: Promise<void> = Promise.resolve();
/** What a dead process's calls return: it will never look at the result anyway. */
const NEVER: Promise<never> = new Promise<never>(() => {});
const IP_LITERAL = /^(\d{1,3}\.){3}\d{1,3}$|:/;

export class SimTransport implements Transport {
  readonly bindPort: number;
  /** The address peers see as the source of this process's datagrams. */
  readonly localAddress: Readonly<Address>;
  private readonly proc: SimProcess;
  private readonly network: Network;
  private packetHandler: ((packet: Packet) => void) | null = null;
  private streamHandler: ((stream: Stream) => void) | null = null;
  /** Stream listeners on other ports than `bindPort` (an application's second server, e.g. HTTP). */
  private readonly otherPorts = new Map<number, (stream: Stream) => void>();
  private closed = false;

  constructor(proc: SimProcess, network: Network, port: number) {
    this.proc = proc;
    this.network = network;
    this.bindPort = port;
    this.localAddress = Object.freeze({ host: proc.node.ip, port });
  }

  finalAdvertiseAddr(ip: string | undefined, port: number | undefined): Address {
    const host = ip !== undefined && ip !== "" && ip !== "0.0.0.0" && ip !== "::" ? ip : this.proc.node.ip;
    return { host, port: port !== undefined && port > 0 ? port : this.bindPort };
  }

  writeTo(buf: Uint8Array, addr: Address): Promise<void> {
    if (!this.proc.alive) return RESOLVED;
    if (this.closed) return Promise.reject(new NetworkError("transport is shut down"));
    this.network.sendDatagram(this.proc.node, this.localAddress, buf, addr);
    return RESOLVED;
  }

  dial(addr: Address, timeoutMs: number): Promise<Stream> {
    if (!this.proc.alive) return NEVER;
    if (this.closed) return Promise.reject(new NetworkError("transport is shut down"));
    return dial(this.network, this.proc.transportScheduler, this.proc, addr, timeoutMs);
  }

  setPacketHandler(handler: (packet: Packet) => void): void {
    this.packetHandler = handler;
  }

  setStreamHandler(handler: (stream: Stream) => void): void {
    this.streamHandler = handler;
  }

  /**
   * Accepts streams on another port of this process (the gossip port is {@link setStreamHandler}'s):
   * a broker's replication links arrive on its HTTP port. Dies with the process.
   */
  listenStreams(port: number, handler: (stream: Stream) => void): void {
    this.otherPorts.set(port, handler);
  }

  resolve(host: string): Promise<string[]> {
    if (IP_LITERAL.test(host)) return Promise.resolve([host]);
    const node = this.network.nodeNamed(host);
    if (node?.hostUp) return Promise.resolve([node.ip]);
    return Promise.reject(new NetworkError(`lookup ${host}: no such host`));
  }

  shutdown(): Promise<void> {
    this.closed = true;
    return RESOLVED;
  }

  /** True if a listener accepts streams on `port`. */
  listening(port: number): boolean {
    if (this.otherPorts.has(port)) return this.proc.alive;
    return !this.closed && port === this.bindPort && this.streamHandler !== null;
  }

  /** @internal The handler for a stream accepted on `port`, or null if nobody listens any more. */
  streamHandlerFor(_end: Stream, port: number = this.bindPort): ((stream: Stream) => void) | null {
    if (port !== this.bindPort) return this.proc.alive ? (this.otherPorts.get(port) ?? null) : null;
    return this.closed ? null : this.streamHandler;
  }

  /** @internal A datagram arrived for `port`. */
  deliverDatagram(port: number, buf: Uint8Array, from: Address): boolean {
    const handler = this.packetHandler;
    if (this.closed || port !== this.bindPort || handler === null) return false;
    const c = this.proc.node.counters;
    c.packetsReceived++;
    c.bytesReceived += buf.length + UDP_OVERHEAD;
    handler({ buf, from: { host: from.host, port: from.port }, timestamp: this.proc.now() });
    return true;
  }
}

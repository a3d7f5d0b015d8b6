/**
 * An in-process network for unit tests of the engine on real (or injected) timers. Packets are
 * delivered asynchronously and in order; streams are in-memory duplex pairs. A few switches model
 * failures: a link down between two endpoints, an endpoint unreachable, random packet loss.
 * The switches act on packets and on new dials; streams already open keep working, and stream
 * bytes are never lost. (The simulator has its own, far richer network on virtual time; this one
 * stays small.)
 */
import { performance } from "node:perf_hooks";
import { ConfigError, NetworkError, TimeoutError } from "../errors.ts";
import type { Timer } from "../swim/runtime.ts";
import { finalAdvertise, isIpLiteral, isValidPort, isWildcard, unmapIPv4 } from "./addresses.ts";
import { HandlerSlot } from "./handler-slot.ts";
import { silentLogger, type TransportLogger } from "./logger.ts";
import { MemoryStream } from "./memory-stream.ts";
import { realTimer } from "./timers.ts";
import type { Address, Packet, Stream, Transport } from "./transport.ts";

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Clock for `Packet.timestamp` (ms); defaults to `performance.now()`. */
  now?: () => number;
  /** Runs a delivery later; must keep FIFO order. Defaults to `setImmediate`. */
  schedule?: (fn: () => void) => void;
  /** Timer for dials into a dead link (they fail at their timeout); defaults to `setTimeout`. */
  setTimer?: (ms: number, fn: () => void) => Timer;
  logger?: TransportLogger;
}

/** A whole host (every port on it) or one endpoint. */
export type MemoryEndpoint = string | Address;

/** Counters of what the network did with packets, for assertions. */
export interface MemoryNetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
}

/** The first port handed out for port 0; ephemeral (dialer) ports start higher. */
const FIRST_PORT = 20_000;
const FIRST_EPHEMERAL_PORT = 40_000;

function endpointKey(addr: Address): string {
  return `[${addr.host}]:${addr.port}`;
}

/** Both keys an address is known by: its host, and its host and port. */
function keysOf(addr: Address): [string, string] {
  return [addr.host, endpointKey(addr)];
}

function keyOf(endpoint: MemoryEndpoint): string {
  return typeof endpoint === "string"
    ? unmapIPv4(endpoint)
    : endpointKey({ host: unmapIPv4(endpoint.host), port: endpoint.port });
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class MemoryNetwork {
  /** Packet counters since the network was made. */
  readonly stats: MemoryNetworkStats = { sent: 0, delivered: 0, dropped: 0 };
  /** @internal */ readonly now: () => number;
  /** @internal */ readonly schedule: (fn: () => void) => void;
  /** @internal */ readonly setTimer: (ms: number, fn: () => void) => Timer;
  /** @internal */ readonly logger: TransportLogger;
  private readonly transports = new Map<string, MemoryTransport>();
  private readonly downLinks = new Set<string>();
  private readonly unreachable = new Set<string>();
  private loss = 0;
  private random: () => number = Math.random;
  private nextPort = FIRST_PORT;
  private nextEphemeral = FIRST_EPHEMERAL_PORT;

  constructor(opts: MemoryNetworkOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.schedule = opts.schedule ?? ((fn) => setImmediate(fn));
    this.setTimer = opts.setTimer ?? realTimer;
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Attaches a transport at `host:port`. Port 0 (the default) allocates a free one.
   * @throws ConfigError if `host` is not a concrete IP literal, the port is invalid or taken.
   */
  createTransport(host: string, port = 0): MemoryTransport {
    const ip = unmapIPv4(host);
    if (!isIpLiteral(ip) || isWildcard(ip)) {
      throw new ConfigError(`memory transport host ${JSON.stringify(host)} must be a concrete IP literal`);
    }
    if (port !== 0 && !isValidPort(port)) throw new ConfigError(`port ${port} is not an integer in 0..65535`);
    const bound = port === 0 ? this.allocatePort(ip) : port;
    const key = endpointKey({ host: ip, port: bound });
    if (this.transports.has(key)) throw new ConfigError(`${key} is already in use`);
    const transport = new MemoryTransport(this, ip, bound);
    this.transports.set(key, transport);
    return transport;
  }

  /** Cuts (or with `down = false` restores) both directions between two hosts or endpoints. */
  setLinkDown(a: MemoryEndpoint, b: MemoryEndpoint, down = true): void {
    const key = linkKey(keyOf(a), keyOf(b));
    if (down) this.downLinks.add(key);
    else this.downLinks.delete(key);
  }

  /** Makes a host or endpoint unreachable from everyone (or reachable again with `drop = false`). */
  dropAll(endpoint: MemoryEndpoint, drop = true): void {
    if (drop) this.unreachable.add(keyOf(endpoint));
    else this.unreachable.delete(keyOf(endpoint));
  }

  /** Drops each packet (not stream bytes) with probability `p`, drawing from `random`. */
  setLoss(p: number, random: () => number = Math.random): void {
    if (!(p >= 0 && p <= 1)) throw new ConfigError(`loss ${p} is not a probability`);
    this.loss = p;
    this.random = random;
  }

  /** True if traffic from `from` to `to` is cut by a link or an unreachable endpoint. */
  isBlocked(from: Address, to: Address): boolean {
    const f = keysOf(from);
    const t = keysOf(to);
    if ([...f, ...t].some((k) => this.unreachable.has(k))) return true;
    return f.some((x) => t.some((y) => this.downLinks.has(linkKey(x, y))));
  }

  /** @internal Routes one datagram (already copied) from `from` to `to`. */
  sendPacket(from: Address, to: Address, buf: Uint8Array): void {
    this.stats.sent++;
    if (this.isBlocked(from, to) || (this.loss > 0 && this.random() < this.loss)) {
      this.stats.dropped++;
      return;
    }
    this.schedule(() => {
      const target = this.transports.get(endpointKey(to));
      if (target === undefined) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      target.receivePacket({ buf, from, timestamp: this.now() });
    });
  }

  /** @internal The live transport at `addr`, if any. */
  lookup(addr: Address): MemoryTransport | undefined {
    return this.transports.get(endpointKey(addr));
  }

  /** @internal A port for the dialing end of a stream. */
  ephemeralPort(): number {
    const port = this.nextEphemeral;
    this.nextEphemeral = port >= 65_535 ? FIRST_EPHEMERAL_PORT : port + 1;
    return port;
  }

  /** @internal Forgets a transport that shut down, freeing its port. */
  detach(transport: MemoryTransport): void {
    const key = endpointKey(transport.address);
    if (this.transports.get(key) === transport) this.transports.delete(key);
  }

  private allocatePort(host: string): number {
    for (let i = 0; i < 65_535; i++) {
      const port = this.nextPort;
      this.nextPort = port >= 65_535 ? 1 : port + 1;
      if (!this.transports.has(endpointKey({ host, port }))) return port;
    }
    throw new ConfigError(`no free port on ${host}`);
  }
}

/** A transport attached to a {@link MemoryNetwork}; create it with `network.createTransport`. */
export class MemoryTransport implements Transport {
  readonly address: Address;
  private readonly packets: HandlerSlot<Packet>;
  private readonly streams: HandlerSlot<Stream>;
  private readonly openStreams = new Set<MemoryStream>();
  private readonly pendingDials = new Set<(err: NetworkError) => void>();
  private closed = false;

  /** @internal Use {@link MemoryNetwork.createTransport}. */
  constructor(
    private readonly network: MemoryNetwork,
    host: string,
    readonly bindPort: number,
  ) {
    this.address = { host, port: bindPort };
    this.packets = new HandlerSlot("packet", 1024, network.logger, () => {});
    this.streams = new HandlerSlot("stream", 128, network.logger, (s) => s.close());
  }

  /** True once shut down. */
  get isShutdown(): boolean {
    return this.closed;
  }

  finalAdvertiseAddr(ip: string | undefined, port: number | undefined): Address {
    return finalAdvertise(ip, port, this.bindPort, () => this.address.host);
  }

  writeTo(buf: Uint8Array, addr: Address): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError("cannot send: transport is shut down"));
    const to = { host: unmapIPv4(addr.host), port: addr.port };
    if (!isIpLiteral(to.host) || !isValidPort(to.port)) {
      return Promise.reject(
        new NetworkError(`cannot send to ${addr.host}:${addr.port}: not an IP literal and port`),
      );
    }
    // A copy (Buffer#slice would be a view): the sender may reuse its buffer at once.
    this.network.sendPacket(this.address, to, new Uint8Array(buf));
    return Promise.resolve();
  }

  dial(addr: Address, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new NetworkError("cannot dial: transport is shut down"));
        return;
      }
      const to = { host: unmapIPv4(addr.host), port: addr.port };
      if (!isIpLiteral(to.host) || !isValidPort(to.port)) {
        reject(new NetworkError(`cannot dial ${addr.host}:${addr.port}: not an IP literal and port`));
        return;
      }
      let timer: Timer | undefined;
      const fail = (err: NetworkError): void => {
        if (!this.pendingDials.delete(fail)) return;
        timer?.cancel();
        reject(err);
      };
      this.pendingDials.add(fail);
      if (this.network.isBlocked(this.address, to)) {
        // Nothing answers across a dead link: the dial fails only at its timeout, as on a real network.
        timer = this.network.setTimer(Math.max(0, timeoutMs), () =>
          fail(
            new NetworkError(`dial ${to.host}:${to.port} timed out after ${timeoutMs} ms`, {
              cause: new TimeoutError(`dial timed out after ${timeoutMs} ms`),
            }),
          ),
        );
        return;
      }
      this.network.schedule(() => {
        if (!this.pendingDials.delete(fail)) return; // aborted by shutdown meanwhile
        const target = this.network.lookup(to);
        if (target === undefined) {
          reject(new NetworkError(`dial ${to.host}:${to.port} failed: connection refused`));
          return;
        }
        const local = { host: this.address.host, port: this.network.ephemeralPort() };
        const [dialer, acceptor] = MemoryStream.pair(local, to, (s) => {
          this.openStreams.delete(s);
          target.forget(s);
        });
        this.openStreams.add(dialer);
        target.acceptStream(acceptor);
        resolve(dialer);
      });
    });
  }

  setPacketHandler(handler: (packet: Packet) => void): void {
    this.packets.set(handler);
  }

  setStreamHandler(handler: (stream: Stream) => void): void {
    this.streams.set(handler);
  }

  async resolve(host: string): Promise<string[]> {
    if (isIpLiteral(host)) return [unmapIPv4(host)];
    throw new NetworkError(`cannot resolve ${JSON.stringify(host)}: the memory network has no DNS`);
  }

  shutdown(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.network.detach(this);
    for (const fail of [...this.pendingDials]) fail(new NetworkError("dial aborted: transport shut down"));
    this.streams.clear();
    this.packets.clear();
    for (const stream of [...this.openStreams]) stream.close();
    return Promise.resolve();
  }

  /** @internal */
  receivePacket(packet: Packet): void {
    if (!this.closed) this.packets.push(packet);
  }

  /** @internal */
  acceptStream(stream: MemoryStream): void {
    this.openStreams.add(stream);
    this.streams.push(stream);
  }

  /** @internal */
  forget(stream: MemoryStream): void {
    this.openStreams.delete(stream);
  }
}

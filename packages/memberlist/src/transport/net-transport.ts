/**
 * The real network transport: UDP (node:dgram) for packets and TCP (node:net) for streams, both on
 * the same port, like Go's NetTransport. One bind address, IPv4 or IPv6; a wildcard bind ("0.0.0.0",
 * "::") listens on every local address ("::" is dual-stack where the OS allows it).
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { performance } from "node:perf_hooks";
import type { Address, Packet, Stream, Timer, Transport } from "../driver.ts";
import { ConfigError, NetworkError, TimeoutError } from "../errors.ts";
import { joinHostPort } from "../host-port.ts";
import { type Logger, silentLogger } from "../logger.ts";
import {
  finalAdvertise,
  type InterfaceTable,
  isIpLiteral,
  isValidPort,
  isWildcard,
  pickAdvertiseHost,
  unmapIPv4,
} from "./addresses.ts";
import { HandlerSlot } from "./handler-slot.ts";
import { plainBytes } from "./plain-bytes.ts";
import { SocketStream } from "./socket-stream.ts";
import { realTimer } from "./timers.ts";

/** The OS receive buffer we ask for first (Go asks the same); halved until the OS accepts. */
const UDP_RECV_BUFFER = 2 * 1024 * 1024;
/** How many times a port-0 bind tries a fresh port when the TCP pick is taken on UDP. */
const PORT_PICK_ATTEMPTS = 10;
/** Packets and streams kept while no handler is set yet (see HandlerSlot). */
const QUEUE_BEFORE_HANDLER = { packets: 1024, streams: 128 };

/** Options of {@link NetTransport.create}. */
export interface NetTransportOptions {
  /** An IP literal to bind: "0.0.0.0" or "::" for every address, or one local address. */
  bindAddr: string;
  /** The port for both UDP and TCP; 0 picks one free for both. */
  bindPort: number;
  /** Clock for `Packet.timestamp` (ms); defaults to `performance.now()`. */
  now?: () => number;
  /** Timer for dial timeouts; defaults to `setTimeout`. Same shape as `Runtime.setTimer`. */
  setTimer?: (ms: number, fn: () => void) => Timer;
  /** Operator messages; silent by default. */
  logger?: Logger;
  /** Source of the interface table used by `finalAdvertiseAddr`; defaults to `os.networkInterfaces`. */
  networkInterfaces?: () => InterfaceTable;
}

interface PendingDial {
  socket: Socket;
  fail(err: NetworkError): void;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function bindError(proto: string, host: string, port: number, err: unknown): ConfigError {
  const where = `${proto} ${joinHostPort(host, port)}`;
  switch (errnoCode(err)) {
    case "EADDRINUSE":
      return new ConfigError(`cannot bind ${where}: address already in use`, { cause: err });
    case "EADDRNOTAVAIL":
      return new ConfigError(`cannot bind ${where}: not an address of this machine`, { cause: err });
    case "EACCES":
      return new ConfigError(`cannot bind ${where}: permission denied`, { cause: err });
    default:
      return new ConfigError(`cannot bind ${where}: ${String(err)}`, { cause: err });
  }
}

function listenTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const onError = (err: Error): void => {
      server.close();
      reject(bindError("tcp", host, port, err));
    };
    server.once("error", onError);
    server.listen({ host, port, ipv6Only: false }, () => {
      server.removeListener("error", onError);
      resolve(server);
    });
  });
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIpLiteral(host) && host.includes(":") ? "udp6" : "udp4" });
    const onError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // Never got going: nothing to close.
      }
      reject(bindError("udp", host, port, err));
    };
    socket.once("error", onError);
    socket.bind({ address: host, port }, () => {
      socket.removeListener("error", onError);
      resolve(socket);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Asks for the large receive buffer, halving until the OS accepts; returns the size granted or 0. */
function growReceiveBuffer(socket: UdpSocket): number {
  for (let size = UDP_RECV_BUFFER; size >= 1; size = Math.floor(size / 2)) {
    try {
      socket.setRecvBufferSize(size);
      return size;
    } catch {
      // Too big for this OS; try half.
    }
  }
  return 0;
}

/**
 * UDP + TCP transport on one port. Create it with {@link NetTransport.create}.
 */
export class NetTransport implements Transport {
  readonly bindPort: number;
  /** The bound address as given ("0.0.0.0", "::", or a local address). */
  readonly bindAddr: string;
  private readonly packets: HandlerSlot<Packet>;
  private readonly streams: HandlerSlot<Stream>;
  private readonly openStreams = new Set<SocketStream>();
  private readonly pendingDials = new Set<PendingDial>();
  private readonly now: () => number;
  private readonly setTimer: (ms: number, fn: () => void) => Timer;
  private readonly logger: Logger;
  private readonly interfaces: () => InterfaceTable;
  private readonly udpIsV6: boolean;
  private shutdownPromise: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly udp: UdpSocket,
    opts: NetTransportOptions,
  ) {
    this.bindAddr = opts.bindAddr;
    this.bindPort = (server.address() as AddressInfo).port;
    this.now = opts.now ?? (() => performance.now());
    this.setTimer = opts.setTimer ?? realTimer;
    this.logger = opts.logger ?? silentLogger;
    this.interfaces = opts.networkInterfaces ?? networkInterfaces;
    this.udpIsV6 = udp.address().family === "IPv6";
    this.packets = new HandlerSlot("packet", QUEUE_BEFORE_HANDLER.packets, this.logger, () => {});
    this.streams = new HandlerSlot("stream", QUEUE_BEFORE_HANDLER.streams, this.logger, (s) => s.close());

    server.on("connection", (socket: Socket) => this.accept(socket));
    server.on("error", (err) => this.logger.error(`memberlist: TCP listener error: ${err.message}`));
    udp.on("message", (msg: Buffer, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    udp.on("error", (err) => this.logger.error(`memberlist: UDP socket error: ${err.message}`));
  }

  /**
   * Binds TCP and UDP on `bindAddr:bindPort` and starts listening. With port 0, TCP picks a free port
   * and UDP binds the same one; if UDP finds it taken, another port is tried a few times.
   * @throws ConfigError if the address is not an IP literal or not local, or the port is in use.
   */
  static async create(opts: NetTransportOptions): Promise<NetTransport> {
    const { bindAddr, bindPort } = opts;
    if (!isIpLiteral(bindAddr)) {
      throw new ConfigError(`bind address ${JSON.stringify(bindAddr)} is not an IP literal`);
    }
    if (!(bindPort === 0 || isValidPort(bindPort))) {
      throw new ConfigError(`bind port ${bindPort} is not an integer in 0..65535`);
    }
    const attempts = bindPort === 0 ? PORT_PICK_ATTEMPTS : 1;
    let lastError: ConfigError | undefined;
    for (let i = 0; i < attempts; i++) {
      const server = await listenTcp(bindAddr, bindPort);
      const port = (server.address() as AddressInfo).port;
      let udp: UdpSocket;
      try {
        udp = await bindUdp(bindAddr, port);
      } catch (err) {
        await closeServer(server);
        lastError = err as ConfigError;
        if (bindPort === 0 && errnoCode(lastError.cause) === "EADDRINUSE") continue;
        throw err;
      }
      const transport = new NetTransport(server, udp, opts);
      const granted = growReceiveBuffer(udp);
      if (granted < UDP_RECV_BUFFER) {
        transport.logger.warn(`memberlist: UDP receive buffer limited to ${granted} bytes`);
      }
      return transport;
    }
    throw new ConfigError(`no port free for both TCP and UDP after ${attempts} attempts`, {
      cause: lastError,
    });
  }

  finalAdvertiseAddr(ip: string | undefined, port: number | undefined): Address {
    return finalAdvertise(ip, port, this.bindPort, () =>
      isWildcard(this.bindAddr) ? pickAdvertiseHost(this.interfaces()) : unmapIPv4(this.bindAddr),
    );
  }

  writeTo(buf: Uint8Array, addr: Address): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.shutdownPromise !== undefined) {
        reject(new NetworkError("cannot send: transport is shut down"));
        return;
      }
      const target = this.udpTarget(addr);
      if (target instanceof NetworkError) {
        reject(target);
        return;
      }
      try {
        this.udp.send(buf, addr.port, target, (err) => {
          if (err)
            reject(
              new NetworkError(`UDP send to ${target}:${addr.port} failed: ${err.message}`, { cause: err }),
            );
          else resolve();
        });
      } catch (err) {
        reject(new NetworkError(`UDP send to ${target}:${addr.port} failed: ${String(err)}`, { cause: err }));
      }
    });
  }

  dial(addr: Address, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => {
      if (this.shutdownPromise !== undefined) {
        reject(new NetworkError("cannot dial: transport is shut down"));
        return;
      }
      const host = unmapIPv4(addr.host);
      if (!isIpLiteral(host) || !isValidPort(addr.port)) {
        reject(new NetworkError(`cannot dial ${addr.host}:${addr.port}: not an IP literal and port`));
        return;
      }
      if (Number.isNaN(timeoutMs)) {
        reject(new NetworkError(`cannot dial ${host}:${addr.port}: timeout is NaN`));
        return;
      }
      let socket: Socket;
      try {
        socket = connect({ host, port: addr.port });
      } catch (err) {
        reject(new NetworkError(`dial ${host}:${addr.port} failed: ${String(err)}`, { cause: err }));
        return;
      }
      socket.setNoDelay(true);
      let timer: Timer | undefined;
      const pending: PendingDial = {
        socket,
        fail: (err) => {
          if (!this.pendingDials.delete(pending)) return;
          timer?.cancel();
          socket.destroy();
          reject(err);
        },
      };
      this.pendingDials.add(pending);
      const onError = (err: Error): void =>
        pending.fail(new NetworkError(`dial ${host}:${addr.port} failed: ${err.message}`, { cause: err }));
      socket.once("error", onError);
      socket.once("connect", () => {
        if (!this.pendingDials.delete(pending)) return;
        timer?.cancel();
        const stream = this.adopt(socket, { host, port: addr.port });
        socket.removeListener("error", onError);
        resolve(stream);
      });
      // Like Go's Dialer, a timeout of 0 (or less) means no timeout of our own (the OS one applies).
      if (timeoutMs > 0) {
        timer = this.setTimer(timeoutMs, () =>
          pending.fail(
            new NetworkError(`dial ${host}:${addr.port} timed out after ${timeoutMs} ms`, {
              cause: new TimeoutError(`dial timed out after ${timeoutMs} ms`),
            }),
          ),
        );
      }
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
    // Longer than any DNS name (253 characters): not worth a lookup.
    if (host === "" || host.length > 253) throw new NetworkError(`cannot resolve ${JSON.stringify(host)}`);
    let found: { address: string }[];
    try {
      found = await lookup(host, { all: true });
    } catch (err) {
      throw new NetworkError(`cannot resolve ${JSON.stringify(host)}: ${String(err)}`, { cause: err });
    }
    const addresses = [...new Set(found.map((a) => unmapIPv4(a.address)))];
    if (addresses.length === 0)
      throw new NetworkError(`cannot resolve ${JSON.stringify(host)}: no addresses`);
    return addresses;
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.close();
    return this.shutdownPromise;
  }

  private async close(): Promise<void> {
    for (const dial of [...this.pendingDials])
      dial.fail(new NetworkError("dial aborted: transport shut down"));
    this.streams.clear();
    this.packets.clear();
    for (const stream of [...this.openStreams]) stream.close();
    const udpClosed = new Promise<void>((resolve) => {
      try {
        this.udp.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    await Promise.all([closeServer(this.server), udpClosed]);
  }

  /** The host string to hand to the UDP socket for `addr`, or why we cannot send there. */
  private udpTarget(addr: Address): string | NetworkError {
    const host = unmapIPv4(addr.host);
    if (!isIpLiteral(host) || !isValidPort(addr.port)) {
      return new NetworkError(`cannot send to ${addr.host}:${addr.port}: not an IP literal and port`);
    }
    const v6 = host.includes(":");
    if (v6 && !this.udpIsV6) {
      return new NetworkError(`cannot send to ${host}: the UDP socket is IPv4 (bound to ${this.bindAddr})`);
    }
    // An IPv6 socket reaches IPv4 peers through the mapped form (dual-stack).
    return !v6 && this.udpIsV6 ? `::ffff:${host}` : host;
  }

  private receive(msg: Buffer, fromHost: string, fromPort: number): void {
    // Go drops empty datagrams too: every message has at least a type byte.
    if (msg.length === 0) {
      this.logger.debug(`memberlist: empty UDP packet from ${fromHost}:${fromPort}`);
      return;
    }
    this.packets.push({
      buf: plainBytes(msg),
      from: { host: unmapIPv4(fromHost), port: fromPort },
      timestamp: this.now(),
    });
  }

  private accept(socket: Socket): void {
    const host = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.shutdownPromise !== undefined || host === undefined || port === undefined) {
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.streams.push(this.adopt(socket, { host: unmapIPv4(host), port }));
  }

  private adopt(socket: Socket, remote: Address): SocketStream {
    const stream = new SocketStream(socket, remote, (s) => this.openStreams.delete(s));
    if (!socket.destroyed) this.openStreams.add(stream);
    return stream;
  }
}

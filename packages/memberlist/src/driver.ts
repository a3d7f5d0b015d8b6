/**
 * The driver contract: everything the engine needs from the outside world, and nothing else. Time and
 * randomness come through a {@link Runtime}; bytes go through a {@link Transport}. Production plugs in
 * the real clock, `node:crypto` and sockets (NodeRuntime, NetTransport); the simulator plugs in a
 * virtual clock, a seeded generator and its own network, which is what makes a run reproducible from
 * its seed. This module is the neutral ground both sides import: `swim/` (which does no I/O) and
 * `transport/` (which does nothing but I/O) each depend on it, never on each other.
 */

/** A pending callback from {@link Runtime.setTimer}. */
export interface Timer {
  /** Stops the timer if it has not fired yet. Idempotent. */
  cancel(): void;
}

/**
 * The one door through which the engine reaches time and randomness. The engine never calls Date,
 * setTimeout or Math.random itself.
 */
export interface Runtime {
  /** Monotonic milliseconds (may be fractional). Only differences between values mean anything. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (0 or less: as soon as possible, never synchronously). */
  setTimer(ms: number, fn: () => void): Timer;
  /** A uniformly distributed number in [0, 1). */
  random(): number;
  /** `n` random bytes (AES-GCM nonces). */
  randomBytes(n: number): Uint8Array;
}

/** A network endpoint. `host` is always an IP literal ("10.0.0.1", "::1"), never a DNS name. */
export interface Address {
  host: string;
  port: number;
}

/** One received datagram. `timestamp` is the receive time on the runtime's clock (ms). */
export interface Packet {
  buf: Uint8Array;
  from: Address;
  timestamp: number;
}

/** A duplex byte stream carrying one exchange (memberlist opens one connection per exchange). */
export interface Stream {
  readonly remote: Address;
  /** Resolves with the next chunk of bytes, or `null` once the peer closed or the stream was closed. */
  read(): Promise<Uint8Array | null>;
  /** Writes all of `buf`; rejects with a NetworkError if the stream is broken or closed. */
  write(buf: Uint8Array): Promise<void>;
  /** Closes both directions at once; pending and later reads resolve `null`. Idempotent. */
  close(): void;
}

/**
 * The transport moves bytes and nothing else: datagrams for packets, one byte stream per exchange.
 * Every protocol layer (label, encryption, CRC, compression) lives above it, in the engine, so the
 * same code runs on real sockets and on the simulator's network. Modelled on Go's `Transport`.
 */
export interface Transport {
  /** The port actually bound (the real one when 0 was asked for). */
  readonly bindPort: number;
  /**
   * The address and port to advertise to peers (Go: FinalAdvertiseAddr). With no `ip`, a bind to the
   * wildcard address picks a usable local address; otherwise the bound address is used.
   */
  finalAdvertiseAddr(ip: string | undefined, port: number | undefined): Address;
  /** Sends one datagram, best effort. Errors are reported as a rejected promise, never thrown synchronously. */
  writeTo(buf: Uint8Array, addr: Address): Promise<void>;
  /** Opens a stream; rejects with a NetworkError if it cannot connect within `timeoutMs`. */
  dial(addr: Address, timeoutMs: number): Promise<Stream>;
  /** Where received datagrams go. Set once, before traffic flows. */
  setPacketHandler(handler: (packet: Packet) => void): void;
  /** Where accepted streams go. Set once, before traffic flows. */
  setStreamHandler(handler: (stream: Stream) => void): void;
  /** Resolves a host name or IP literal to IP literals (DNS where the transport has one). */
  resolve(host: string): Promise<string[]>;
  /** Closes sockets and listeners; later calls are no-ops. */
  shutdown(): Promise<void>;
}

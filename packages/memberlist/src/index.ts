/**
 * `@shoal/memberlist`: SWIM + Lifeguard gossip membership, wire-compatible with HashiCorp memberlist.
 */

export {
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  type MemberlistConfig,
  ProtocolVersion2Compatible,
  ProtocolVersionMax,
  ProtocolVersionMin,
} from "./config.ts";
export type { Address, Packet, Runtime, Stream, Timer, Transport } from "./driver.ts";
export {
  ConfigError,
  DecodeError,
  EncodeError,
  LimitError,
  NetworkError,
  NoPingResponseError,
  SecurityError,
  ShoalError,
  ShutdownError,
  TimeoutError,
} from "./errors.ts";
export { type HostPort, joinHostPort, parseHostPort, splitHostPort } from "./host-port.ts";
export { type Logger, silentLogger, stderrLogger } from "./logger.ts";
export { Memberlist, type MemberlistEvents, type SuspectEvent } from "./memberlist.ts";
export { discardMetrics, type MetricLabel, type MetricsSink } from "./metrics.ts";
export { NodeRuntime } from "./node-runtime.ts";
export {
  type Broadcast,
  type NamedBroadcast,
  TransmitLimitedQueue,
  type UniqueBroadcast,
} from "./swim/broadcast-queue.ts";
export { NetTransport } from "./transport/net-transport.ts";
export type {
  AliveDelegate,
  ConflictDelegate,
  Delegate,
  EventDelegate,
  MergeDelegate,
  Node,
  NodeAddress,
  NodeStateName,
  PingDelegate,
} from "./types.ts";
export { Keyring, LabelMaxSize, MetaMaxSize } from "./wire/index.ts";

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
export {
  ConfigError,
  DecodeError,
  EncodeError,
  NetworkError,
  NoPingResponseError,
  SecurityError,
  ShoalError,
  ShutdownError,
  TimeoutError,
} from "./errors.ts";
export { silentLogger, stderrLogger } from "./logger.ts";
export { discardMetrics, type MetricLabel, type MetricsSink } from "./metrics.ts";
export { Memberlist, type MemberlistEvents, type SuspectEvent } from "./memberlist.ts";
export { NodeRuntime } from "./node-runtime.ts";
export {
  type Broadcast,
  type NamedBroadcast,
  TransmitLimitedQueue,
  type UniqueBroadcast,
} from "./swim/broadcast-queue.ts";
export type { Runtime, Timer } from "./swim/runtime.ts";
export { NetTransport } from "./transport/net-transport.ts";
export type { Address, Packet, Stream, Transport } from "./transport/transport.ts";
export type {
  AliveDelegate,
  ConflictDelegate,
  Delegate,
  EventDelegate,
  Logger,
  MergeDelegate,
  Node,
  NodeAddress,
  NodeStateName,
  PingDelegate,
} from "./types.ts";
export { Keyring, LabelMaxSize, MetaMaxSize } from "./wire/index.ts";

/**
 * `@shoal/broker`: a clustered Server-Sent Events broker on `@shoal/memberlist`.
 *
 * ```ts
 * import { createServer } from "node:http";
 * import { createBroker } from "@shoal/broker";
 * const broker = createBroker({ heartbeatMs: 15_000 });
 * const server = createServer((req, res) => { if (!broker.handle(req, res)) { res.statusCode = 404; res.end(); } });
 * broker.attach(server);
 * server.listen(8080);
 * ```
 */

export { type AuthOptions, Authorizer, type Grants } from "./auth/jwt.ts";
export {
  type Broker,
  type BrokerOptions,
  type BrokerStatus,
  createBroker,
  type DashboardOptions,
} from "./broker.ts";
export { decodeCursor, encodeCursor, type Vector } from "./core/cursor.ts";
export { ALL_CHANNELS, type BrokerEvent, isValidName } from "./core/event.ts";
export type { Hub, HubCounters, PublishInput, SubscribeRequest } from "./core/hub.ts";
export { ACK_MODES, type AckMode, AckTimeoutError } from "./core/plane.ts";
export { DashboardFeed, type DashboardFeedOptions, type DashboardSources } from "./dashboard/feed.ts";
export { type RttSample, RttTracker } from "./dashboard/rtt.ts";
export type { DashboardMember, DashboardSnapshot } from "./dashboard/snapshot.ts";
export { DemoCluster, type DemoOptions } from "./demo/cluster.ts";
export { BrokerConfigError, BrokerError, ReplicationError, RequestError } from "./errors.ts";
export type { CorsOptions } from "./http/cors.ts";
export { createLogger, type LogFormat, type Logger, type LogLevel, silentLogger } from "./log.ts";
export {
  type BrokerMeta,
  decodeMeta,
  encodeMeta,
  MemberlistMembership,
  type MemberlistMembershipOptions,
} from "./membership/memberlist-adapter.ts";
export type { Membership, MembershipStatus, Peer, PeerChange } from "./membership/membership.ts";
export { StaticCluster, StaticMembership } from "./membership/static.ts";
export type { BrokerMetricsOptions } from "./metrics/broker-metrics.ts";
export { PrometheusMetricsSink, promMetricName } from "./metrics/memberlist-sink.ts";
export { type NodeConfig, type ShoalNode, startShoalNode } from "./node.ts";
export type { LinkNetwork, ReplicationDriver, Runtime, Stream, Timer } from "./replication/driver.ts";
export type { LinkStatus } from "./replication/replicator.ts";
export { comment, frameBody, jitteredRetry, STREAM_HEADERS } from "./sse/frame.ts";

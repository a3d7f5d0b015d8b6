/**
 * The broker as an embeddable request handler: `createBroker(options)` returns an object whose
 * `handle(req, res)` serves the sse-cluster-compatible routes (and returns false for anything
 * else, so it can sit inside an existing server) and whose `handleUpgrade` accepts replication
 * links from peers.
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import { type AuthOptions, Authorizer } from "./auth/jwt.ts";
import type { Backplane } from "./backplane/backplane.ts";
import { type BackplaneOptions, createRedisBackplane } from "./backplane/create.ts";
import { ALL_CHANNELS, type BrokerEvent, isValidName } from "./core/event.ts";
import { type DEFAULT_MAX_ORIGINS, Hub, type PublishInput } from "./core/hub.ts";
import { nodeTimers } from "./core/node-timers.ts";
import type { AckMode } from "./core/plane.ts";
import { DashboardFeed, type DashboardFeedOptions } from "./dashboard/feed.ts";
import { createDashboardRoutes } from "./dashboard/routes.ts";
import type { RttTracker } from "./dashboard/rtt.ts";
import { BrokerError, RequestError } from "./errors.ts";
import {
  CONNECTION_HEADROOM,
  CONNECTION_HEADROOM_PER_ADDRESS,
  ConnectionLimiter,
  FIRST_REQUEST_TIMEOUT_MS,
} from "./http/connection-limits.ts";
import type { CorsOptions } from "./http/cors.ts";
import { DEFAULT_MAX_JSON_DEPTH } from "./http/json-depth.ts";
import { LimitCounters } from "./http/limits.ts";
import { createRouter } from "./http/router.ts";
import { type BrokerStatus, buildStatus } from "./http/status.ts";
import { DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_ADDRESS, StreamLimiter } from "./http/stream-limits.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { Membership } from "./membership/membership.ts";
import { StaticCluster } from "./membership/static.ts";
import { defaultHistoryTotalBytes } from "./memory-defaults.ts";
import { BrokerMetrics, type BrokerMetricsOptions } from "./metrics/broker-metrics.ts";
import type { ReplicationDriver } from "./replication/driver.ts";
import { HttpLinkNetwork } from "./replication/http-network.ts";
import { Replication, replicationDefaults } from "./replication/replication.ts";
import { clusterSecurity } from "./security.ts";

export type { BrokerStatus } from "./http/status.ts";

/** The live dashboard's options. */
export interface DashboardOptions extends DashboardFeedOptions {
  /** Last RTT per member: the tracker given to the memberlist as its `ping` delegate. */
  rtt?: RttTracker | null;
}

/** Options of {@link createBroker}; every field has a default. */
export interface BrokerOptions {
  /** Cluster membership; default: a cluster of one. */
  membership?: Membership;
  /** Per-channel history bounds. */
  historyMaxEvents?: number;
  historyMaxAgeMs?: number;
  /** Most payload bytes kept per channel (default 8 MiB). */
  historyMaxBytes?: number;
  /**
   * Estimated bytes of every channel's history together (default: a quarter of the heap limit,
   * 16..256 MiB, so 64-128 MiB on a 1-2 GB node); past it the node's oldest events are evicted
   * first, whatever their channel.
   */
  historyMaxTotalBytes?: number;
  /**
   * Most channels held (default 100,000: a few tens of MB of bookkeeping). Past it the least
   * recently used channel without subscribers is forgotten; if all have subscribers, 503.
   */
  maxChannels?: number;
  /**
   * Origins (broker runs) kept in the replication seq map before departed, expired ones are
   * dropped (default {@link DEFAULT_MAX_ORIGINS}, which says why).
   */
  maxOrigins?: number;
  /** Bytes a subscriber may have pending before it is disconnected (default 1 MiB). */
  maxBufferBytes?: number;
  /** Heartbeat comment interval (default 15 s; 0 = none). */
  heartbeatMs?: number;
  /** Reconnect delay suggested to clients and its jitter fraction (default 2 s ± 50 %). */
  retryMs?: number;
  retryJitter?: number;
  /** Largest accepted publish body (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Most open event streams (default 10,000; `startShoalNode` lowers it to stay under the
   * open-file limit). Past it, or past `maxStreamsPerAddress` (default 256) from one client
   * address, a new stream gets 503 with `Retry-After`. `/healthz`, `/metrics`, publishes and
   * replication are never counted, so they keep working when streams are at the limit.
   */
  maxStreams?: number;
  maxStreamsPerAddress?: number;
  /**
   * Most connections to the HTTP port once {@link Broker.attach}ed, whatever they do (idle ones
   * included), in total (default `maxStreams` + 128) and per client address (default
   * `maxStreamsPerAddress` + 64): the headroom keeps `/healthz`, `/metrics`, publishes and
   * replication working when streams are at their limit. Past it the connection gets a 503 and is
   * closed; one that sends no request within 30 s is closed too.
   */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** A connection that sends no request within this many ms is closed (default 30 s; 0: never). */
  firstRequestTimeoutMs?: number;
  /** Deepest JSON nesting of a publish body (default 64); deeper is a 400, never a stack overflow. */
  maxJsonDepth?: number;
  /** Most channels one stream may subscribe to (default 32). */
  maxChannelsPerStream?: number;
  /** Own events kept for lagging peers (default 100,000). */
  outboxEvents?: number;
  /**
   * Shared cluster key: when set, replication links are authenticated and encrypted with it.
   * With `auth` on and a membership that spans processes, set it: without it anyone who joins
   * the membership gets every event without a token (`startShoalNode` refuses that setup).
   */
  secretKey?: Uint8Array | null;
  /** JWT authorisation; off when absent. */
  auth?: AuthOptions | null;
  /** CORS; off when absent. */
  cors?: CorsOptions;
  /** Route prefix when embedded (default ""). */
  prefix?: string;
  /** Send a `shoal-ready` event with the cursor when a stream opens (default true). */
  readyEvent?: boolean;
  /** Peers serve HTTPS: dial replication links over TLS (default false; all nodes alike). */
  replicationTls?: boolean;
  /** Connect timeout of replication links to peers (default 5 s). */
  replicationConnectTimeoutMs?: number;
  /**
   * When a publish is answered 2xx (default `one`): `local` once this node holds it, `one` once
   * another live member holds it too (if there is one), `all` once every live member does.
   */
  ackMode?: AckMode;
  /** How long a publish waits for its ack mode before a 503 (default 2 s). */
  ackTimeoutMs?: number;
  /**
   * Inbound replication links still in their opening exchange at once (default 32: a whole
   * cluster's simultaneous opens); past it the oldest stranger is dropped, a member never is.
   */
  replicationMaxHandshakes?: number;
  /** Time an inbound link has to open and say a valid `hello`, ms (default 3 s). */
  replicationHandshakeTimeoutMs?: number;
  /**
   * Clock, timers, randomness and link network of replication (default: Node's, and HTTP
   * upgrades on the broker's port). The simulator injects its own; see `replication/driver.ts`.
   */
  driver?: ReplicationDriver;
  /**
   * Serve the live dashboard at `{prefix}/` and its data under `{prefix}/dashboard/` (default off,
   * so an embedding app keeps its own `/`; `shoal start` turns it on).
   */
  dashboard?: boolean | DashboardOptions;
  /**
   * Event backplane: `redis://host:port[/db]` hands events to Redis Streams instead of the mesh
   * (history = each channel's stream, capped at `historyMaxEvents`, expiring `historyMaxAgeMs`
   * after its last publish). Default: none, the mesh replicates. Every node of a cluster must use
   * the same backplane.
   */
  backplane?: string | BackplaneOptions | null;
  /** Where `/metrics` comes from: an application's prom-client registry, process metrics. */
  metrics?: BrokerMetricsOptions;
  logger?: Logger;
}

export interface Broker {
  /** Serves the request if it is one of the broker's routes; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Accepts a replication link; returns false for other upgrades. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Wires `handleUpgrade` into a server's 'upgrade' event (other upgrades are refused), and bounds
   * the server's connections (`maxConnections`, `maxConnectionsPerAddress`).
   */
  attach(server: Server): void;
  /**
   * Publishes programmatically, as `POST /channel/...` would (mesh mode only: with a backplane
   * it throws `ERR_USE_ACCEPT`, since acceptance waits for the backplane; use {@link accept}).
   */
  publish(input: PublishInput): BrokerEvent;
  /**
   * Publishes as `POST /channel/...` does and resolves once the event is acknowledged: with a
   * backplane, once it holds it; over the mesh, once the ack mode holds (else it rejects with
   * `AckTimeoutError`, and the event may still reach the others). Once {@link drain} was called
   * it rejects with a `RequestError` `ERR_DRAINING` (503) and takes nothing.
   */
  accept(input: PublishInput): Promise<BrokerEvent>;
  status(): BrokerStatus;
  /** The Prometheus exposition text of {@link metricsRegistry}. */
  metrics(): Promise<string>;
  /** The prom-client registry holding the broker's metrics (and its memberlist's, in `shoal start`). */
  readonly metricsRegistry: Registry;
  /** Stops accepting subscriptions and publishes (503), keeps serving status. */
  drain(): void;
  /** Waits until every live peer acknowledged every event accepted here; false on timeout. */
  waitReplicated(timeoutMs: number): Promise<boolean>;
  /** Ends every stream with a jittered `retry:`, closes replication links and timers. */
  close(): Promise<void>;
  readonly hub: Hub;
  readonly membership: Membership;
  /** The event backplane, when one is configured. */
  readonly backplane: Backplane | null;
  /** The dashboard's feed, when the dashboard is on. */
  readonly dashboard: DashboardFeed | null;
}

/** Creates a broker. Replication starts at once if the membership has peers. */
export function createBroker(options: BrokerOptions = {}): Broker {
  const logger = options.logger ?? silentLogger;
  const membership =
    options.membership ?? new StaticCluster().join(`shoal-${randomBytes(4).toString("hex")}`, "");
  const network =
    options.driver === undefined ? new HttpLinkNetwork({ tls: options.replicationTls === true }) : null;
  const driver: ReplicationDriver = options.driver ?? {
    runtime: nodeTimers,
    wallClock: Date.now,
    network: network!,
  };
  const brokerMetrics = new BrokerMetrics(options.metrics);
  const hub = new Hub({
    history: {
      maxEvents: options.historyMaxEvents ?? 1000,
      maxAgeMs: options.historyMaxAgeMs ?? 5 * 60_000,
      maxBytes: options.historyMaxBytes ?? 8 * 1024 * 1024,
    },
    historyTotalBytes: options.historyMaxTotalBytes ?? defaultHistoryTotalBytes(),
    maxChannels: options.maxChannels ?? 100_000,
    ...(options.maxOrigins !== undefined ? { maxOrigins: options.maxOrigins } : {}),
    maxBufferBytes: options.maxBufferBytes ?? 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    retryMs: options.retryMs ?? 2_000,
    retryJitter: options.retryJitter ?? 0.5,
    outboxEvents: options.outboxEvents ?? 100_000,
    readyEvent: options.readyEvent ?? true,
    runtime: driver.runtime,
    now: driver.wallClock,
    observer: {
      delivered: (ms) => brokerMetrics.deliveryLatency.observe(Math.max(0, ms) / 1000),
      replicated: (ms) => brokerMetrics.replicationDelay.observe(Math.max(0, ms) / 1000),
    },
  });
  const replication = new Replication(hub, membership, driver, {
    ...replicationDefaults,
    nodeName: membership.localName,
    secret: options.secretKey ?? null,
    ackMode: options.ackMode ?? replicationDefaults.ackMode,
    ackTimeoutMs: options.ackTimeoutMs ?? replicationDefaults.ackTimeoutMs,
    connectTimeoutMs: options.replicationConnectTimeoutMs ?? replicationDefaults.connectTimeoutMs,
    maxHandshakes: options.replicationMaxHandshakes ?? replicationDefaults.maxHandshakes,
    handshakeTimeoutMs: options.replicationHandshakeTimeoutMs ?? replicationDefaults.handshakeTimeoutMs,
    logger,
  });
  const backplane =
    options.backplane === undefined || options.backplane === null
      ? null
      : createRedisBackplane(
          options.backplane,
          hub,
          { maxLen: options.historyMaxEvents ?? 1000, ttlMs: options.historyMaxAgeMs ?? 5 * 60_000 },
          logger,
        );
  // With a backplane, events do not travel the mesh: no outbound links, inbound ones refused.
  if (backplane === null) replication.start();
  else void backplane.start();
  let draining = false;
  const checkChannel = (channel: string): void => {
    if (channel !== ALL_CHANNELS && !isValidName(channel))
      throw new RequestError(400, "ERR_BAD_CHANNEL", "invalid channel name");
  };
  const accept = async (input: PublishInput): Promise<BrokerEvent> => {
    // A node on its way out takes nothing: its peers stop listening to it once it has left, so an
    // event taken now could be shown to local subscribers and then die with the node.
    if (draining) throw new RequestError(503, "ERR_DRAINING", "node is shutting down; publish elsewhere");
    checkChannel(input.channel);
    if (backplane === null) return replication.publish(input);
    const ev = await backplane.append(input);
    hub.counters.published++;
    return ev;
  };
  const { replicator, inbound } = replication;
  const auth = options.auth ? new Authorizer(options.auth) : null;
  const cors: CorsOptions = options.cors ?? { enabled: false, origins: [] };
  let rejected = 0;
  const limits = new LimitCounters();
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const maxStreamsPerAddress = options.maxStreamsPerAddress ?? DEFAULT_MAX_STREAMS_PER_ADDRESS;
  const connections = new ConnectionLimiter(
    options.maxConnections ?? maxStreams + CONNECTION_HEADROOM,
    options.maxConnectionsPerAddress ?? maxStreamsPerAddress + CONNECTION_HEADROOM_PER_ADDRESS,
    limits,
    options.firstRequestTimeoutMs ?? FIRST_REQUEST_TIMEOUT_MS,
  );

  const security = clusterSecurity({ secretKey: options.secretKey ?? null, auth: options.auth ?? null });
  const sources = {
    hub,
    membership,
    replicator,
    inbound,
    replication,
    limits,
    backplane,
    security,
    rejected: () => rejected,
    httpConnections: () => connections.open,
  };
  const status = (): BrokerStatus => buildStatus(sources);
  brokerMetrics.track(sources);
  const metrics = (): Promise<string> => brokerMetrics.text();
  const routes = createRouter({
    hub,
    auth,
    cors,
    prefix: options.prefix ?? "",
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    limits,
    streams: new StreamLimiter(maxStreams, maxStreamsPerAddress, limits),
    maxChannelsPerStream: options.maxChannelsPerStream ?? 32,
    isDraining: () => draining,
    accept,
    open: backplane === null ? null : (channels, cursor) => backplane.open(channels, cursor),
    backplaneStatus: () => backplane?.status() ?? null,
    status,
    metrics: brokerMetrics,
    onRejected: () => {
      rejected++;
    },
    logger,
  });
  const dashboardOptions = options.dashboard === true ? {} : options.dashboard || null;
  const dashboard =
    dashboardOptions === null
      ? null
      : new DashboardFeed(
          { hub, membership, replicator, backplane, rtt: dashboardOptions.rtt ?? null },
          dashboardOptions,
        );
  const dashboardRoutes =
    dashboard === null
      ? null
      : createDashboardRoutes({ feed: dashboard, auth, prefix: options.prefix ?? "", logger });
  const handle = (req: IncomingMessage, res: ServerResponse): boolean =>
    routes(req, res) || (dashboardRoutes?.(req, res) ?? false);

  return {
    hub,
    membership,
    backplane,
    dashboard,
    metricsRegistry: brokerMetrics.registry,
    handle,
    handleUpgrade: (req, socket, head) =>
      backplane === null && (network?.handleUpgrade(req, socket, head) ?? false),
    attach(server: Server): void {
      connections.attach(server);
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (backplane !== null || !(network?.handleUpgrade(req, socket, head) ?? false)) socket.destroy();
      });
    },
    publish: (input) => {
      checkChannel(input.channel);
      if (backplane !== null)
        throw new BrokerError(
          "ERR_USE_ACCEPT",
          "with a backplane, publish with accept(): it waits for Redis",
        );
      return hub.publish(input);
    },
    accept,
    status,
    metrics,
    drain(): void {
      draining = true;
    },
    waitReplicated: (timeoutMs: number) => replication.waitReplicated(timeoutMs),
    async close(): Promise<void> {
      draining = true;
      dashboard?.close();
      replication.close();
      hub.close();
      await backplane?.close();
    },
  };
}

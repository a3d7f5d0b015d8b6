/**
 * A complete Shoal node: HTTP server + gossip membership + broker, with a graceful stop.
 * This is what `shoal start` runs; it is exported for programs that want the same in-process.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import type { MemberlistConfig } from "@shoal/memberlist";
import { Registry } from "prom-client";
import type { AuthOptions } from "./auth/jwt.ts";
import { type Broker, createBroker } from "./broker.ts";
import type { AckMode } from "./core/plane.ts";
import { RttTracker } from "./dashboard/rtt.ts";
import { FD_HEADROOM, openFileLimit, streamsWithinFdLimit } from "./fd-limit.ts";
import { closeAllConnections, createHttpServer } from "./http/server.ts";
import { unreadBodyHeaders } from "./http/unread-body.ts";
import type { Logger } from "./log.ts";
import { MemberlistMembership } from "./membership/memberlist-adapter.ts";
import { PrometheusMetricsSink } from "./metrics/memberlist-sink.ts";
import { assertClusterable, clusterSecurity, OPEN_CLUSTER_WARNING } from "./security.ts";

/** Everything `shoal start` can be told. */
export interface NodeConfig {
  name: string;
  /** Address both HTTP and gossip bind to. */
  bindAddr: string;
  gossipPort: number;
  /** Seeds: "host:port" of any live member. */
  gossipHosts: string[];
  /** Gossip (and replication) key, 16/24/32 bytes, or null. */
  secretKey: Uint8Array | null;
  /** Gossip timing profile: `lan` (memberlist defaults) or `local` (loopback, tests). */
  gossipProfile: "lan" | "local";
  /** Address advertised to peers for gossip and HTTP ("" = derived). */
  advertiseAddr: string;
  httpPort: number;
  corsEnabled: boolean;
  corsOrigins: string[];
  /** Timeout of the node-to-node HTTP client (replication connects), ms. */
  httpClientTimeoutMs: number;
  /** `redis://host:port[/db]`: events go through Redis Streams; null: the mesh. */
  backplane?: string | null;
  /** Longest wait for Redis before a 503, ms. */
  backplaneTimeoutMs?: number;
  /** When a publish is acknowledged (see {@link AckMode}); default `one`. */
  ackMode?: AckMode;
  /** How long a publish waits for its ack mode before a 503, ms (default 2 s). */
  ackTimeoutMs?: number;
  historySize: number;
  historyAgeMs: number;
  historyBytes: number;
  /** Bytes of history of all channels together. */
  historyTotalBytes: number | null;
  /** Most channels kept. */
  maxChannels: number;
  heartbeatMs: number;
  retryMs: number;
  bufferBytes: number;
  maxBodyBytes: number;
  /** Deepest JSON nesting of a publish body. */
  maxJsonDepth: number;
  /** Most open event streams (lowered to stay under the open-file limit), and per client address. */
  maxStreams: number;
  maxStreamsPerAddress: number;
  /** Most connections to the HTTP port, total and per address; null or absent: streams + headroom. */
  maxConnections?: number | null;
  maxConnectionsPerAddress?: number | null;
  /** A connection that sends no request within this many ms is closed (default 30 s; 0: never). */
  firstRequestTimeoutMs?: number;
  /** Bound on the whole graceful stop, ms. */
  shutdownTimeoutMs: number;
  /** Open streams with a `shoal-ready` event carrying the starting cursor. */
  readyEvent: boolean;
  auth: AuthOptions | null;
  /** Serve the live dashboard at `/` (default true). */
  dashboard?: boolean;
  /** Serve HTTPS with HTTP/2 (and HTTP/1.1 on the same port); replication links then use TLS too. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Inbound replication handshakes in progress at once, and the time each has (ms). */
  replicationMaxHandshakes?: number;
  replicationHandshakeTimeoutMs?: number;
  /** Origins kept in the replication seq map (the broker's `maxOrigins`). */
  maxOrigins?: number;
  /** Bounds of the gossip layer's input (memberlist options of the same names; unset: theirs). */
  gossipLimits?: GossipLimits;
}

/** The memberlist limits `shoal start` exposes as flags. */
export type GossipLimits = Partial<
  Pick<
    MemberlistConfig,
    "maxInboundStreams" | "maxInboundStreamBytes" | "maxDecompressedPacketBytes" | "junkWarningsPerMinute"
  >
>;

/** A started node. */
export interface ShoalNode {
  readonly broker: Broker;
  /** node:http's server, or with `tls` node:http2's secure server (HTTP/2 and HTTP/1.1). */
  readonly server: Server | Http2SecureServer;
  readonly membership: MemberlistMembership;
  /** Bound HTTP and gossip ports. */
  readonly httpPort: number;
  readonly gossipPort: number;
  /**
   * Graceful stop: refuse new work, leave the cluster, let peers acknowledge what was accepted
   * here, tell subscribers to reconnect elsewhere, close. Bounded by `shutdownTimeoutMs`.
   */
  stop(): Promise<void>;
}

/** Starts a node; rejects (typed) when a port is taken or the config is invalid. */
export async function startShoalNode(config: NodeConfig, logger: Logger): Promise<ShoalNode> {
  assertClusterable(config);
  const holder: { broker?: Broker } = {};
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (holder.broker?.handle(req, res)) return;
    res.writeHead(404, { "Content-Type": "application/json; charset=utf-8", ...unreadBodyHeaders(req) });
    res.end(JSON.stringify({ error: { code: "ERR_NOT_FOUND", message: "no such route" } }));
  };
  const server = createHttpServer(config, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.httpPort, config.bindAddr, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const httpPort = (server.address() as AddressInfo).port;
  const dashboard = config.dashboard !== false;
  // The dashboard shows each member's last probe round trip; the memberlist reports it here.
  const rtt = dashboard ? new RttTracker() : null;
  // One registry for the broker's metrics, the memberlist's and the process's: one `/metrics`.
  const registry = new Registry();
  let membership: MemberlistMembership;
  try {
    membership = await MemberlistMembership.create({
      name: config.name,
      bindAddr: config.bindAddr,
      gossipPort: config.gossipPort,
      advertiseAddr: config.advertiseAddr,
      httpPort,
      ...(config.advertiseAddr !== "" ? { httpHost: config.advertiseAddr } : {}),
      secretKey: config.secretKey,
      profile: config.gossipProfile,
      overrides: { ...config.gossipLimits, ...(rtt !== null ? { ping: rtt } : {}) },
      metrics: new PrometheusMetricsSink(registry),
      logger,
    });
  } catch (err) {
    server.close();
    throw err;
  }
  // Streams must not take the descriptors that /healthz, /metrics and replication need.
  const fdLimit = openFileLimit();
  const maxStreams = streamsWithinFdLimit(config.maxStreams, fdLimit);
  if (maxStreams < config.maxStreams)
    logger.warn("stream limit lowered to keep file descriptors free; raise `ulimit -n` to allow more", {
      configured: config.maxStreams,
      maxStreams,
      openFileLimit: fdLimit,
      headroom: FD_HEADROOM,
    });
  const broker = createBroker({
    membership,
    backplane:
      config.backplane === undefined || config.backplane === null
        ? null
        : {
            url: config.backplane,
            ...(config.backplaneTimeoutMs !== undefined ? { timeoutMs: config.backplaneTimeoutMs } : {}),
          },
    historyMaxEvents: config.historySize,
    historyMaxAgeMs: config.historyAgeMs,
    historyMaxBytes: config.historyBytes,
    ...(config.historyTotalBytes !== null ? { historyMaxTotalBytes: config.historyTotalBytes } : {}),
    maxChannels: config.maxChannels,
    heartbeatMs: config.heartbeatMs,
    retryMs: config.retryMs,
    maxBufferBytes: config.bufferBytes,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.maxJsonDepth,
    maxStreams,
    maxStreamsPerAddress: config.maxStreamsPerAddress,
    ...(config.maxConnections != null ? { maxConnections: config.maxConnections } : {}),
    ...(config.firstRequestTimeoutMs !== undefined
      ? { firstRequestTimeoutMs: config.firstRequestTimeoutMs }
      : {}),
    ...(config.maxConnectionsPerAddress != null
      ? { maxConnectionsPerAddress: config.maxConnectionsPerAddress }
      : {}),
    secretKey: config.secretKey,
    auth: config.auth,
    cors: { enabled: config.corsEnabled, origins: config.corsOrigins },
    replicationConnectTimeoutMs: config.httpClientTimeoutMs,
    ...(config.ackMode !== undefined ? { ackMode: config.ackMode } : {}),
    ...(config.ackTimeoutMs !== undefined ? { ackTimeoutMs: config.ackTimeoutMs } : {}),
    ...(config.maxOrigins !== undefined ? { maxOrigins: config.maxOrigins } : {}),
    ...(config.replicationMaxHandshakes !== undefined
      ? { replicationMaxHandshakes: config.replicationMaxHandshakes }
      : {}),
    ...(config.replicationHandshakeTimeoutMs !== undefined
      ? { replicationHandshakeTimeoutMs: config.replicationHandshakeTimeoutMs }
      : {}),
    readyEvent: config.readyEvent,
    dashboard: rtt !== null ? { rtt } : false,
    metrics: { registry, processMetrics: true },
    replicationTls: config.tls != null,
    logger,
  });
  membership.onChange((change) =>
    logger.info(change.type === "join" ? "peer joined" : "peer left", {
      peer: change.peer.name,
      httpAddr: change.peer.httpAddr,
    }),
  );
  holder.broker = broker;
  // Replication links arrive as HTTP/1.1 upgrades; the secure server emits 'upgrade' the same way.
  broker.attach(server as Server);
  const gossipPort = membership.ml.config.bindPort;
  let stopping: Promise<void> | null = null;
  if (config.gossipHosts.length > 0)
    void joinWithRetry(membership, config.gossipHosts, logger, () => stopping !== null);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const left = () => Math.max(100, deadline - Date.now());
      broker.drain();
      server.close(); // stop accepting; open streams are ended below
      try {
        await membership.leave(Math.min(left(), 3_000));
      } catch (err) {
        logger.warn("leave did not complete", { error: (err as Error).message });
      }
      const replicated = await broker.waitReplicated(Math.min(left(), 5_000));
      if (!replicated) logger.warn("some events were not acknowledged by every peer before stopping");
      await broker.close();
      await membership.shutdown().catch(() => {});
      closeAllConnections(server);
    })();
    return stopping;
  };
  if (clusterSecurity(config).open_cluster) logger.warn(OPEN_CLUSTER_WARNING);
  logger.info("node started", {
    httpPort,
    gossipPort,
    seeds: config.gossipHosts,
    encrypted: config.secretKey !== null,
    backplane: broker.backplane?.status().target ?? "mesh",
  });
  return { broker, server, membership, httpPort, gossipPort, stop };
}

/** Joins through the seeds, retrying with backoff until one answers (the seed may start later). */
async function joinWithRetry(
  membership: MemberlistMembership,
  seeds: string[],
  logger: Logger,
  stopped: () => boolean,
): Promise<void> {
  let delay = 200;
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      const reached = await membership.join(seeds);
      logger.info("joined cluster", { reached, members: membership.status().memberCount });
      return;
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0)
        logger.warn("join failed, retrying", { attempt, error: (err as Error).message });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(5_000, delay * 2);
    }
  }
}

/**
 * The broker as an embeddable request handler: `createBroker(options)` returns an object whose
 * `handle(req, res)` serves the sse-cluster-compatible routes (and returns false for anything
 * else, so it can sit inside an existing server) and whose `handleUpgrade` accepts replication
 * links from peers.
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type AuthOptions, Authorizer } from "./auth/jwt.ts";
import { ALL_CHANNELS, type BrokerEvent, isValidName } from "./core/event.ts";
import { Hub, type PublishInput } from "./core/hub.ts";
import { RequestError } from "./errors.ts";
import { readJsonBody } from "./http/body.ts";
import { type CorsOptions, corsHeaders, PREFLIGHT_HEADERS } from "./http/cors.ts";
import { renderMetrics } from "./http/metrics.ts";
import { parsePublishBody } from "./http/publish-body.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { Membership } from "./membership/membership.ts";
import { StaticCluster } from "./membership/static.ts";
import { InboundLinks } from "./replication/inbound.ts";
import { Replicator } from "./replication/replicator.ts";
import type { Subscriber } from "./sse/subscriber.ts";

/** Options of {@link createBroker}; every field has a default. */
export interface BrokerOptions {
  /** Cluster membership; default: a cluster of one. */
  membership?: Membership;
  /** Per-channel history bounds. */
  historyMaxEvents?: number;
  historyMaxAgeMs?: number;
  /** Most payload bytes kept per channel (default 8 MiB). */
  historyMaxBytes?: number;
  /** Bytes a subscriber may have pending before it is disconnected (default 1 MiB). */
  maxBufferBytes?: number;
  /** Heartbeat comment interval (default 15 s; 0 = none). */
  heartbeatMs?: number;
  /** Reconnect delay suggested to clients and its jitter fraction (default 2 s ± 50 %). */
  retryMs?: number;
  retryJitter?: number;
  /** Largest accepted publish body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most channels one stream may subscribe to (default 32). */
  maxChannelsPerStream?: number;
  /** Own events kept for lagging peers (default 100,000). */
  outboxEvents?: number;
  /** Shared cluster key: when set, replication links are authenticated and encrypted with it. */
  secretKey?: Uint8Array | null;
  /** JWT authorisation; off when absent. */
  auth?: AuthOptions | null;
  /** CORS; off when absent. */
  cors?: CorsOptions;
  /** Route prefix when embedded (default ""). */
  prefix?: string;
  /** Send a `shoal-ready` event with the cursor when a stream opens (default true). */
  readyEvent?: boolean;
  /** Connect timeout of replication links to peers (default 5 s). */
  replicationConnectTimeoutMs?: number;
  logger?: Logger;
}

/** The `/status` body: sse-cluster's fields plus ours. */
export interface BrokerStatus {
  node: string;
  origin: string;
  gossip: {
    member_count: number;
    members: Record<string, number>;
    health_score: number;
    nodes: { name: string; gossip_addr: string; http_addr: string | null; state: string }[];
  };
  channels: Record<string, string[]>;
  connections: number;
  replication: { peer: string; httpAddr: string; connected: boolean; lagEvents: number }[];
}

export interface Broker {
  /** Serves the request if it is one of the broker's routes; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Accepts a replication link; returns false for other upgrades. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Wires `handleUpgrade` into a server's 'upgrade' event (other upgrades are refused). */
  attach(server: Server): void;
  /** Publishes programmatically, as `POST /channel/...` would. */
  publish(input: PublishInput): BrokerEvent;
  status(): BrokerStatus;
  metrics(): string;
  /** Stops accepting subscriptions and publishes (503), keeps serving status. */
  drain(): void;
  /** Waits until every live peer acknowledged every event accepted here; false on timeout. */
  waitReplicated(timeoutMs: number): Promise<boolean>;
  /** Ends every stream with a jittered `retry:`, closes replication links and timers. */
  close(): Promise<void>;
  readonly hub: Hub;
  readonly membership: Membership;
}

const MAX_CHANNEL_PARAMS = 256;

/** Creates a broker. Replication starts at once if the membership has peers. */
export function createBroker(options: BrokerOptions = {}): Broker {
  const logger = options.logger ?? silentLogger;
  const membership =
    options.membership ?? new StaticCluster().join(`shoal-${randomBytes(4).toString("hex")}`, "");
  const hub = new Hub({
    history: {
      maxEvents: options.historyMaxEvents ?? 1000,
      maxAgeMs: options.historyMaxAgeMs ?? 5 * 60_000,
      maxBytes: options.historyMaxBytes ?? 8 * 1024 * 1024,
    },
    maxBufferBytes: options.maxBufferBytes ?? 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    retryMs: options.retryMs ?? 2_000,
    retryJitter: options.retryJitter ?? 0.5,
    outboxEvents: options.outboxEvents ?? 100_000,
    readyEvent: options.readyEvent ?? true,
  });
  const secret = options.secretKey ?? null;
  const inbound = new InboundLinks(hub, membership.localName, secret, logger);
  const replicator = new Replicator(hub, membership, {
    nodeName: membership.localName,
    secret,
    batchEvents: 512,
    windowEvents: 8192,
    connectTimeoutMs: options.replicationConnectTimeoutMs ?? 5_000,
    logger,
  });
  replicator.start();
  const auth = options.auth ? new Authorizer(options.auth) : null;
  const cors: CorsOptions = options.cors ?? { enabled: false, origins: [] };
  const prefix = options.prefix ?? "";
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxChannels = options.maxChannelsPerStream ?? 32;
  let draining = false;
  let rejected = 0;

  const status = (): BrokerStatus => {
    const m = membership.status();
    const members: Record<string, number> = {};
    for (const node of m.members) {
      const port = Number(node.gossipAddr.slice(node.gossipAddr.lastIndexOf(":") + 1));
      members[node.gossipAddr] = Number.isFinite(port) ? port : 0;
    }
    return {
      node: membership.localName,
      origin: hub.origin,
      gossip: {
        member_count: m.memberCount,
        members,
        health_score: m.healthScore,
        nodes: m.members.map((n) => ({
          name: n.name,
          gossip_addr: n.gossipAddr,
          http_addr: n.httpAddr,
          state: n.state,
        })),
      },
      channels: hub.clientsByChannel(),
      connections: hub.connectionCount,
      replication: replicator.linkStatus(),
    };
  };

  const metrics = (): string => {
    const c = hub.counters;
    const links = replicator.linkStatus();
    const m = membership.status();
    return renderMetrics([
      { name: "shoal_connections", help: "Open event streams.", type: "gauge", value: hub.connectionCount },
      {
        name: "shoal_subscriptions",
        help: "Channel subscriptions of open streams.",
        type: "gauge",
        value: hub.subscriptionCount,
      },
      {
        name: "shoal_channels",
        help: "Channels with subscribers or history.",
        type: "gauge",
        value: hub.channelCount,
      },
      {
        name: "shoal_connections_total",
        help: "Streams opened.",
        type: "counter",
        value: c.connectionsTotal,
      },
      {
        name: "shoal_events_published_total",
        help: "Events accepted on this node.",
        type: "counter",
        value: c.published,
      },
      {
        name: "shoal_events_replicated_in_total",
        help: "Events applied from peers.",
        type: "counter",
        value: c.received,
      },
      {
        name: "shoal_events_delivered_total",
        help: "Event deliveries to subscribers.",
        type: "counter",
        value: c.delivered,
      },
      {
        name: "shoal_events_dropped_total",
        help: "Events not delivered: duplicates suppressed.",
        type: "counter",
        value: [{ labels: { reason: "duplicate" }, value: c.duplicates }],
      },
      {
        name: "shoal_evictions_total",
        help: "Subscribers disconnected for overflowing their buffer.",
        type: "counter",
        value: c.evictions,
      },
      {
        name: "shoal_evicted_bytes_total",
        help: "Bytes pending at eviction.",
        type: "counter",
        value: c.evictedBytes,
      },
      {
        name: "shoal_resumes_total",
        help: "Streams opened with a cursor.",
        type: "counter",
        value: c.replays,
      },
      {
        name: "shoal_resets_total",
        help: "Resumes whose cursor was older than the history.",
        type: "counter",
        value: c.resets,
      },
      {
        name: "shoal_requests_rejected_total",
        help: "Requests answered with an error.",
        type: "counter",
        value: rejected,
      },
      {
        name: "shoal_replication_lag_events",
        help: "Events accepted here not yet acknowledged by the peer.",
        type: "gauge",
        value: links.map((l) => ({ labels: { peer: l.peer }, value: l.lagEvents })),
      },
      {
        name: "shoal_replication_connected",
        help: "1 when the replication link to the peer is up.",
        type: "gauge",
        value: links.map((l) => ({ labels: { peer: l.peer }, value: l.connected ? 1 : 0 })),
      },
      {
        name: "shoal_replication_delay_ms",
        help: "Origin-to-here delay of the last replicated event.",
        type: "gauge",
        value: inbound.lastDelayMs,
      },
      {
        name: "shoal_replication_inbound_links",
        help: "Open inbound replication links.",
        type: "gauge",
        value: inbound.count,
      },
      {
        name: "shoal_gossip_members",
        help: "Cluster members, this node included.",
        type: "gauge",
        value: m.memberCount,
      },
      {
        name: "shoal_gossip_health_score",
        help: "Lifeguard health score (0 = healthy).",
        type: "gauge",
        value: m.healthScore,
      },
    ]);
  };

  const sendJson = (
    res: ServerResponse,
    code: number,
    body: unknown,
    extra: Record<string, string> = {},
  ): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(code, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
      "Cache-Control": "no-store",
      ...extra,
    });
    res.end(text);
  };

  const fail = (res: ServerResponse, err: unknown, headers: Record<string, string>): void => {
    rejected++;
    if (err instanceof RequestError) {
      sendJson(res, err.status, { error: { code: err.code, message: err.message } }, headers);
    } else {
      logger.error("request failed", { error: err instanceof Error ? err.message : String(err) });
      sendJson(res, 500, { error: { code: "ERR_INTERNAL", message: "internal error" } }, headers);
    }
  };

  const subscribe = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    first: string | null,
    clientId: string | null,
    headers: Record<string, string>,
  ): Promise<void> => {
    if (draining) throw new RequestError(503, "ERR_DRAINING", "node is shutting down; reconnect elsewhere");
    const extra = url.searchParams.getAll("channel");
    if (extra.length > MAX_CHANNEL_PARAMS)
      throw new RequestError(400, "ERR_BAD_CHANNEL", "too many channels");
    const channels = [...new Set(first === null ? extra : [first, ...extra])];
    if (channels.length === 0) throw new RequestError(400, "ERR_BAD_CHANNEL", "no channel given");
    if (channels.length > maxChannels)
      throw new RequestError(400, "ERR_BAD_CHANNEL", `at most ${maxChannels} channels per stream`);
    for (const ch of channels) {
      if (!isValidName(ch)) throw new RequestError(400, "ERR_BAD_CHANNEL", "invalid channel name");
    }
    if (clientId !== null && !isValidName(clientId))
      throw new RequestError(400, "ERR_BAD_CLIENT", "invalid client id");
    if (auth !== null) await auth.checkSubscribe(req, url, channels);
    if (req.socket.destroyed) return;
    const header = req.headers["last-event-id"];
    const cursor =
      (typeof header === "string" && header !== "" ? header : null) ??
      url.searchParams.get("lastEventId") ??
      url.searchParams.get("last_event_id");
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    const sub: Subscriber = hub.subscribe(res, {
      channels,
      clientId: clientId ?? randomBytes(9).toString("base64url"),
      cursor,
      headers,
    });
    void sub;
  };

  const publish = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    channel: string,
    client: string | null,
    headers: Record<string, string>,
  ): Promise<void> => {
    if (draining) {
      req.resume();
      throw new RequestError(503, "ERR_DRAINING", "node is shutting down; publish elsewhere");
    }
    if (channel !== ALL_CHANNELS && !isValidName(channel)) {
      req.resume();
      throw new RequestError(400, "ERR_BAD_CHANNEL", "invalid channel name");
    }
    if (client !== null && !isValidName(client)) {
      req.resume();
      throw new RequestError(400, "ERR_BAD_CLIENT", "invalid client id");
    }
    if (auth !== null) await auth.checkPublish(req, url, channel);
    const fields = parsePublishBody(await readJsonBody(req, maxBody));
    const ev = hub.publish({ channel, client: client ?? undefined, ...fields });
    sendJson(
      res,
      200,
      { origin: ev.origin, seq: ev.seq, channel: ev.channel === ALL_CHANNELS ? null : ev.channel },
      headers,
    );
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    parts: string[],
  ): Promise<void> => {
    const headers = corsHeaders(cors, req);
    try {
      const method = req.method ?? "GET";
      if (method === "OPTIONS") {
        res.writeHead(204, { ...headers, ...(cors.enabled ? PREFLIGHT_HEADERS : {}) });
        res.end();
        return;
      }
      const [root, channel, clientWord, client, ...rest] = parts;
      if (root === "status" || root === "metrics" || root === "healthz") {
        if (parts.length !== 1) throw new RequestError(404, "ERR_NOT_FOUND", "no such route");
        if (method !== "GET") throw new RequestError(405, "ERR_METHOD", "use GET");
        if (root === "healthz") {
          sendJson(res, draining ? 503 : 200, { status: draining ? "draining" : "ok" }, headers);
          return;
        }
        if (auth !== null) await auth.checkAdmin(req, url);
        if (root === "status") sendJson(res, 200, status(), headers);
        else {
          const text = metrics();
          res.writeHead(200, {
            "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
            "Content-Length": Buffer.byteLength(text),
            ...headers,
          });
          res.end(text);
        }
        return;
      }
      // root === "channel"
      if (
        rest.length > 0 ||
        (clientWord !== undefined && clientWord !== "client") ||
        (clientWord !== undefined && client === undefined)
      )
        throw new RequestError(404, "ERR_NOT_FOUND", "no such route");
      if (channel === "") throw new RequestError(404, "ERR_NOT_FOUND", "no such route");
      if (method === "GET") await subscribe(req, res, url, channel ?? null, client ?? null, headers);
      else if (method === "POST")
        await publish(req, res, url, channel ?? ALL_CHANNELS, client ?? null, headers);
      else throw new RequestError(405, "ERR_METHOD", "use GET to subscribe, POST to publish");
    } catch (err) {
      if (req.method === "POST" && !req.readableEnded) req.resume();
      fail(res, err, headers);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? "/";
    if (!raw.startsWith(`${prefix}/`)) return false;
    let url: URL;
    let parts: string[];
    try {
      url = new URL(raw.slice(prefix.length), "http://broker.invalid");
      parts = url.pathname.slice(1).split("/").map(decodeURIComponent);
    } catch {
      if (!/^\/(channel|status|metrics|healthz)(\/|\?|$)/.test(raw.slice(prefix.length))) return false;
      fail(res, new RequestError(400, "ERR_BAD_URL", "malformed URL"), corsHeaders(cors, req));
      return true;
    }
    if (parts.length > 0 && parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
    const root = parts[0];
    if (root !== "channel" && root !== "status" && root !== "metrics" && root !== "healthz") return false;
    void route(req, res, url, parts);
    return true;
  };

  return {
    hub,
    membership,
    handle,
    handleUpgrade: (req, socket, head) => inbound.handleUpgrade(req, socket, head),
    attach(server: Server): void {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!inbound.handleUpgrade(req, socket, head)) socket.destroy();
      });
    },
    publish: (input) => {
      if (input.channel !== ALL_CHANNELS && !isValidName(input.channel))
        throw new RequestError(400, "ERR_BAD_CHANNEL", "invalid channel name");
      return hub.publish(input);
    },
    status,
    metrics,
    drain(): void {
      draining = true;
    },
    async waitReplicated(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      const pending = () => replicator.linkStatus().some((l) => l.connected && l.lagEvents > 0);
      while (pending()) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
    async close(): Promise<void> {
      draining = true;
      replicator.close();
      inbound.closeAll();
      hub.close();
    },
  };
}

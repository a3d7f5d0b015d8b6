/**
 * The HTTP routes of the broker (sse-cluster's, plus `/healthz` and `/metrics`). Every failure is
 * answered with a JSON error and a 4xx (5xx only for a bug); nothing a client sends can crash it.
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "../auth/jwt.ts";
import type { BackplaneStatus, OpenStream } from "../backplane/backplane.ts";
import { ALL_CHANNELS, type BrokerEvent, isValidName } from "../core/event.ts";
import type { Hub, PublishInput } from "../core/hub.ts";
import { AckTimeoutError } from "../core/plane.ts";
import { RequestError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { BrokerMetrics } from "../metrics/broker-metrics.ts";
import { STREAM_HEADERS } from "../sse/frame.ts";
import { readJsonBody } from "./body.ts";
import { type CorsOptions, corsHeaders, PREFLIGHT_HEADERS } from "./cors.ts";
import type { LimitCounters, LimitName } from "./limits.ts";
import { parsePublishBody } from "./publish-body.ts";
import type { BrokerStatus } from "./status.ts";
import { STREAM_LIMIT_HEADERS, type StreamLimiter } from "./stream-limits.ts";
import { unreadBodyHeaders } from "./unread-body.ts";

/** Bound on `?channel=` parameters read at all (before the per-stream limit is checked). */
const MAX_CHANNEL_PARAMS = 256;

/** What the routes need. */
export interface RouterDeps {
  hub: Hub;
  auth: Authorizer | null;
  cors: CorsOptions;
  prefix: string;
  maxBodyBytes: number;
  /** Deepest JSON nesting of a publish body. */
  maxJsonDepth: number;
  maxChannelsPerStream: number;
  /** Refusals per limit, for `/metrics`. */
  limits: LimitCounters;
  /** Bounds on open streams, total and per client address. */
  streams: StreamLimiter;
  isDraining(): boolean;
  /** Accepts a publish: resolves once it is accepted (by the hub, or held by the backplane). */
  accept(input: PublishInput): Promise<BrokerEvent>;
  /** With a backplane: reads a new stream's channels and fetches what its cursor missed. */
  open: ((channels: string[], cursor: string | null) => Promise<OpenStream>) | null;
  backplaneStatus(): BackplaneStatus | null;
  status(): BrokerStatus;
  /** `/metrics` text, and the publish-latency histogram. */
  metrics: BrokerMetrics;
  onRejected(): void;
  logger: Logger;
}

/** Returns `handle(req, res)`: true when the request is one of the broker's (and is being served). */
export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { hub, auth, cors, prefix, logger } = deps;
  const maxBody = deps.maxBodyBytes;
  const maxChannels = deps.maxChannelsPerStream;

  const fail = (res: ServerResponse, err: unknown, headers: Record<string, string>): void => {
    deps.onRejected();
    if (err instanceof RequestError) {
      const limit = LIMIT_OF_CODE[err.code];
      if (limit !== undefined) deps.limits.hit(limit);
      const retry = err.code.startsWith("ERR_TOO_MANY_STREAMS") ? STREAM_LIMIT_HEADERS : {};
      sendJson(
        res,
        err.status,
        { error: { code: err.code, message: err.message } },
        { ...headers, ...retry },
      );
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
    if (deps.isDraining())
      throw new RequestError(503, "ERR_DRAINING", "node is shutting down; reconnect elsewhere");
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
    if (auth !== null) await auth.checkSubscribe(req, url, channels, clientId);
    if (req.socket.destroyed) return;
    if (req.method === "HEAD") {
      // What a GET would answer, without opening a stream.
      res.writeHead(200, { ...STREAM_HEADERS, ...headers });
      res.end();
      return;
    }
    // Given back when the stream (or this refusal) ends, whatever ends it.
    res.once("close", deps.streams.acquire(req.socket.remoteAddress ?? "unknown"));
    const header = req.headers["last-event-id"];
    const cursor =
      (typeof header === "string" && header !== "" ? header : null) ??
      url.searchParams.get("lastEventId") ??
      url.searchParams.get("last_event_id");
    const opened = deps.open === null ? null : await deps.open(channels, cursor);
    try {
      if (req.socket.destroyed) return;
      if (req.httpVersionMajor < 2) {
        // HTTP/2 streams have no socket of their own to tune (the session's is shared).
        req.socket.setNoDelay(true);
        req.socket.setTimeout(0);
      }
      hub.subscribe(res, {
        channels,
        clientId: clientId ?? randomBytes(9).toString("base64url"),
        cursor,
        headers,
        ...(opened !== null ? { backfill: opened.backfill } : {}),
      });
    } finally {
      opened?.release();
    }
  };

  const publish = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    channel: string,
    client: string | null,
    headers: Record<string, string>,
  ): Promise<void> => {
    const started = performance.now();
    if (deps.isDraining())
      throw new RequestError(503, "ERR_DRAINING", "node is shutting down; publish elsewhere");
    if (channel !== ALL_CHANNELS && !isValidName(channel))
      throw new RequestError(400, "ERR_BAD_CHANNEL", "invalid channel name");
    if (client !== null && !isValidName(client))
      throw new RequestError(400, "ERR_BAD_CLIENT", "invalid client id");
    if (auth !== null) await auth.checkPublish(req, url, channel);
    const fields = parsePublishBody(await readJsonBody(req, maxBody, deps.maxJsonDepth));
    const ev = await deps.accept({ channel, client: client ?? undefined, ...fields }).catch((err) => {
      if (err instanceof AckTimeoutError) throw new RequestError(503, err.code, err.message);
      throw err;
    });
    sendJson(
      res,
      200,
      { origin: ev.origin, seq: ev.seq, channel: ev.channel === ALL_CHANNELS ? null : ev.channel },
      headers,
    );
    deps.metrics.publishDuration.observe((performance.now() - started) / 1000);
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
        // HEAD: the same status and headers as GET; node:http sends no body for it.
        if (method !== "GET" && method !== "HEAD") throw new RequestError(405, "ERR_METHOD", "use GET");
        if (root === "healthz") {
          // A backplane that is down degrades the node (publishes get 503) but stays 200: its
          // streams are still served and catch up when Redis returns.
          const bp = deps.backplaneStatus();
          const degraded = bp !== null && bp.state !== "up";
          sendJson(
            res,
            deps.isDraining() ? 503 : 200,
            {
              status: deps.isDraining() ? "draining" : degraded ? "degraded" : "ok",
              ...(bp !== null ? { backplane: { kind: bp.kind, state: bp.state, since: bp.since } } : {}),
            },
            headers,
          );
          return;
        }
        if (auth !== null) await auth.checkAdmin(req, url);
        if (root === "status") sendJson(res, 200, deps.status(), headers);
        else {
          const text = await deps.metrics.text();
          res.writeHead(200, {
            "Content-Type": deps.metrics.contentType,
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
      if (method === "GET" || method === "HEAD")
        await subscribe(req, res, url, channel ?? null, client ?? null, headers);
      else if (method === "POST")
        await publish(req, res, url, channel ?? ALL_CHANNELS, client ?? null, headers);
      else throw new RequestError(405, "ERR_METHOD", "use GET to subscribe, POST to publish");
    } catch (err) {
      fail(res, err, { ...headers, ...unreadBodyHeaders(req) });
    }
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
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
}

/** Refusals that count against a limit in `/metrics`. */
const LIMIT_OF_CODE: Record<string, LimitName> = {
  ERR_TOO_LARGE: "body_size",
  ERR_JSON_DEPTH: "json_depth",
  ERR_CHANNEL_LIMIT: "channels",
};

/** Sends a JSON body (or drops the connection if a stream already started on it). */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
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
}

/**
 * The dashboard's routes: the page at `/`, its files under `/dashboard/`, and its data: a
 * read-only snapshot stream at `/dashboard/events` (and one snapshot at `/dashboard/snapshot`).
 * The data counts as status: when the broker protects `/status`, it protects these too. Nothing
 * here accepts a publish; the page publishes through the ordinary `POST /channel/...` route.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "../auth/jwt.ts";
import { RequestError } from "../errors.ts";
import { sendJson } from "../http/router.ts";
import { unreadBodyHeaders } from "../http/unread-body.ts";
import type { Logger } from "../log.ts";
import { STREAM_HEADERS } from "../sse/frame.ts";
import { type Asset, loadAssets } from "./assets.ts";
import type { DashboardFeed } from "./feed.ts";

/** What the routes need. */
export interface DashboardRouteDeps {
  feed: DashboardFeed;
  auth: Authorizer | null;
  prefix: string;
  logger: Logger;
}

/** The page may only load its own files and talk to its own node. */
const PAGE_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  // The page URL may carry an `authorization` token: never leak it in a Referer.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

/** Returns `handle(req, res)`: true when the request is the dashboard's (and is being served). */
export function createDashboardRoutes(
  deps: DashboardRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { feed, auth, prefix, logger } = deps;
  const assets = loadAssets();

  const serveAsset = (req: IncomingMessage, res: ServerResponse, asset: Asset): void => {
    res.writeHead(200, { ...PAGE_HEADERS, "Content-Type": asset.type, "Content-Length": asset.body.length });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  };

  const serveData = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    what: "events" | "snapshot",
  ): Promise<void> => {
    try {
      if (auth !== null) await auth.checkAdmin(req, url);
      if (res.destroyed) return;
      if (what === "snapshot") {
        sendJson(res, 200, feed.snapshot());
        return;
      }
      if (req.method === "HEAD") {
        res.writeHead(200, { ...STREAM_HEADERS, "X-Content-Type-Options": "nosniff" });
        res.end();
        return;
      }
      req.socket.setTimeout(0);
      if (!feed.open(res)) throw new RequestError(503, "ERR_BUSY", "too many dashboard streams");
    } catch (err) {
      if (err instanceof RequestError) {
        sendJson(res, err.status, { error: { code: err.code, message: err.message } });
      } else {
        logger.error("dashboard request failed", { error: err instanceof Error ? err.message : String(err) });
        sendJson(res, 500, { error: { code: "ERR_INTERNAL", message: "internal error" } });
      }
    }
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? "/";
    if (!raw.startsWith(`${prefix}/`)) return false;
    const rest = raw.slice(prefix.length);
    const q = rest.indexOf("?");
    const path = q < 0 ? rest : rest.slice(0, q);
    if (path !== "/" && path !== "/dashboard" && !path.startsWith("/dashboard/")) return false;
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      sendJson(
        res,
        405,
        { error: { code: "ERR_METHOD", message: "the dashboard is read-only: use GET" } },
        unreadBodyHeaders(req),
      );
      return true;
    }
    if (path === "/") {
      serveAsset(req, res, assets.get("index.html")!);
      return true;
    }
    if (path === "/dashboard" || path === "/dashboard/") {
      // The page uses relative URLs, so it lives at the root only.
      res.writeHead(302, { Location: `${prefix}/${q < 0 ? "" : rest.slice(q)}` });
      res.end();
      return true;
    }
    const name = path.slice("/dashboard/".length);
    if (name === "events" || name === "snapshot") {
      let url: URL;
      try {
        url = new URL(rest, "http://broker.invalid");
      } catch {
        sendJson(res, 400, { error: { code: "ERR_BAD_URL", message: "malformed URL" } });
        return true;
      }
      void serveData(req, res, url, name);
      return true;
    }
    const asset = name === "index.html" ? undefined : assets.get(name);
    if (asset === undefined) {
      sendJson(res, 404, { error: { code: "ERR_NOT_FOUND", message: "no such dashboard file" } });
      return true;
    }
    serveAsset(req, res, asset);
    return true;
  };
}

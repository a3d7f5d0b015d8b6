/**
 * CORS with an explicit origin list. Listed origins get their own origin echoed back with
 * credentials allowed; `*` is only ever sent when no list is configured, and then without
 * credentials (browsers reject `*` with credentials anyway).
 */
import type { IncomingMessage } from "node:http";

export interface CorsOptions {
  /** Turns CORS headers on (sse-cluster's `--http.server.cors.enabled`). */
  enabled: boolean;
  /** Allowed origins, exact (`https://app.example`). Empty = any origin, without credentials. */
  origins: string[];
}

/** The CORS headers for this request (empty when none apply). */
export function corsHeaders(options: CorsOptions, req: IncomingMessage): Record<string, string> {
  if (!options.enabled) return {};
  const origin = req.headers.origin;
  if (options.origins.length === 0) return { "Access-Control-Allow-Origin": "*" };
  if (origin === undefined || !options.origins.includes(origin)) return { Vary: "Origin" };
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
  };
}

/** Headers of a preflight answer, added to {@link corsHeaders}. */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type, Authorization, Last-Event-ID",
  "Access-Control-Max-Age": "600",
});

/**
 * Optional JWT authorisation (via `jose`). The token comes from `Authorization: Bearer`, a
 * cookie, or a query parameter (EventSource cannot set headers). Its `shoal` claim names what
 * the bearer may do:
 *
 * ```json
 * { "sub": "alice", "exp": 1767225600,
 *   "shoal": { "publish": ["news.*"], "subscribe": ["*"], "clients": ["alice-*"], "admin": false } }
 * ```
 *
 * `admin` opens `/status`, `/metrics` and the dashboard's data (protected by default).
 * A stream's client id belongs to the token: it must equal `sub` or match a `clients` pattern,
 * so no one can take over (and read the targeted events of) another client's id. Tokens
 * without `exp` are refused unless `requireExp` is false.
 */

import { createPublicKey, type KeyObject } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { jwtVerify } from "jose";
import { RequestError } from "../errors.ts";
import { matchesAny } from "./patterns.ts";

export interface AuthOptions {
  /** HMAC secret (HS256/384/512) or a public key (PEM text or KeyObject) for RS/ES/EdDSA. */
  key: Uint8Array | string | KeyObject;
  /** Cookie that may carry the token. */
  cookieName?: string;
  /** Query parameter that may carry the token. */
  queryParam?: string;
  /** Subscribing needs a token too (default true). */
  subscribeRequiresToken?: boolean;
  /** Publishing needs a token (default true). */
  publishRequiresToken?: boolean;
  /**
   * `/status` (which lists client ids), `/metrics` and the dashboard's data need a token with
   * `admin: true` (default true; false opens them to anyone).
   */
  protectStatus?: boolean;
  /** Refuse tokens without an `exp` claim (default true): a leaked token must not work forever. */
  requireExp?: boolean;
  /** Expected `iss` / `aud`, when set. */
  issuer?: string;
  audience?: string;
}

/** What a verified token allows. */
export interface Grants {
  publish: string[];
  subscribe: string[];
  /** Client id patterns the bearer may use for its streams (besides its `sub`). */
  clients: string[];
  /** The token's `sub`, when it is a string. */
  sub: string | null;
  admin: boolean;
}

const NONE: Grants = { publish: [], subscribe: [], clients: [], sub: null, admin: false };

export class Authorizer {
  private readonly key: Uint8Array | KeyObject;
  private readonly cookieName: string;
  private readonly queryParam: string;

  constructor(private readonly options: AuthOptions) {
    this.key =
      typeof options.key === "string"
        ? options.key.includes("-----BEGIN")
          ? createPublicKey(options.key)
          : new TextEncoder().encode(options.key)
        : options.key;
    this.cookieName = options.cookieName ?? "shoalAuthorization";
    this.queryParam = options.queryParam ?? "authorization";
  }

  /**
   * Checks that the request may subscribe to every channel of `channels` and, when it names
   * one, use `clientId` (its `sub`, or a `clients` pattern; anonymous streams get none).
   */
  async checkSubscribe(
    req: IncomingMessage,
    url: URL,
    channels: string[],
    clientId: string | null = null,
  ): Promise<void> {
    if (this.options.subscribeRequiresToken === false && this.tokenOf(req, url) === null) {
      if (clientId !== null)
        throw new RequestError(403, "ERR_CLIENT_ID", "a client id needs a token that names it");
      return;
    }
    const grants = await this.grants(req, url);
    for (const ch of channels) {
      if (!matchesAny(grants.subscribe, ch))
        throw new RequestError(403, "ERR_FORBIDDEN", `not allowed to subscribe to ${ch}`);
    }
    if (clientId !== null && clientId !== grants.sub && !matchesAny(grants.clients, clientId))
      throw new RequestError(
        403,
        "ERR_CLIENT_ID",
        `client id ${clientId} is not this token's (its sub, or a shoal.clients pattern)`,
      );
  }

  /** Checks that the request may publish to `channel` (`*` = all channels needs a `*` grant). */
  async checkPublish(req: IncomingMessage, url: URL, channel: string): Promise<void> {
    if (this.options.publishRequiresToken === false && this.tokenOf(req, url) === null) return;
    const grants = await this.grants(req, url);
    if (!matchesAny(grants.publish, channel))
      throw new RequestError(403, "ERR_FORBIDDEN", `not allowed to publish to ${channel}`);
  }

  /** Checks access to `/status` and `/metrics`. */
  async checkAdmin(req: IncomingMessage, url: URL): Promise<void> {
    if (this.options.protectStatus === false) return;
    const grants = await this.grants(req, url);
    if (!grants.admin) throw new RequestError(403, "ERR_FORBIDDEN", "admin claim required");
  }

  private async grants(req: IncomingMessage, url: URL): Promise<Grants> {
    const token = this.tokenOf(req, url);
    if (token === null) throw new RequestError(401, "ERR_UNAUTHORIZED", "a bearer token is required");
    try {
      const verifyOptions: { issuer?: string; audience?: string; requiredClaims?: string[] } = {};
      if (this.options.requireExp !== false) verifyOptions.requiredClaims = ["exp"];
      if (this.options.issuer !== undefined) verifyOptions.issuer = this.options.issuer;
      if (this.options.audience !== undefined) verifyOptions.audience = this.options.audience;
      const { payload } = await jwtVerify(token, this.key, verifyOptions);
      const claim = payload.shoal;
      const sub = typeof payload.sub === "string" && payload.sub !== "" ? payload.sub : null;
      if (typeof claim !== "object" || claim === null) return { ...NONE, sub };
      const c = claim as Record<string, unknown>;
      return {
        publish: stringList(c.publish),
        subscribe: stringList(c.subscribe),
        clients: stringList(c.clients),
        sub,
        admin: c.admin === true,
      };
    } catch (err) {
      if ((err as { claim?: unknown }).claim === "exp" && (err as { reason?: unknown }).reason === "missing")
        throw new RequestError(401, "ERR_UNAUTHORIZED", "token has no exp claim; tokens must expire");
      throw new RequestError(401, "ERR_UNAUTHORIZED", "invalid or expired token");
    }
  }

  private tokenOf(req: IncomingMessage, url: URL): string | null {
    const header = req.headers.authorization;
    if (header !== undefined && /^Bearer\s+/i.test(header)) return header.replace(/^Bearer\s+/i, "").trim();
    const cookie = req.headers.cookie;
    if (cookie !== undefined) {
      for (const part of cookie.split(";")) {
        const eq = part.indexOf("=");
        if (eq > 0 && part.slice(0, eq).trim() === this.cookieName)
          return safeDecode(part.slice(eq + 1).trim());
      }
    }
    return url.searchParams.get(this.queryParam);
  }
}

function stringList(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Optional JWT authorisation (via `jose`). The token comes from `Authorization: Bearer`, a
 * cookie, or a query parameter (EventSource cannot set headers). Its `shoal` claim names what
 * the bearer may do:
 *
 * ```json
 * { "shoal": { "publish": ["news.*"], "subscribe": ["*"], "admin": false } }
 * ```
 *
 * `admin` opens `/status` and `/metrics` when those are protected.
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
  /** `/status` and `/metrics` need a token with `admin: true` (default false). */
  protectStatus?: boolean;
  /** Expected `iss` / `aud`, when set. */
  issuer?: string;
  audience?: string;
}

/** What a verified token allows. */
export interface Grants {
  publish: string[];
  subscribe: string[];
  admin: boolean;
}

const NONE: Grants = { publish: [], subscribe: [], admin: false };

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

  /** Checks that the request may subscribe to every channel of `channels`. */
  async checkSubscribe(req: IncomingMessage, url: URL, channels: string[]): Promise<void> {
    if (this.options.subscribeRequiresToken === false && this.tokenOf(req, url) === null) return;
    const grants = await this.grants(req, url);
    for (const ch of channels) {
      if (!matchesAny(grants.subscribe, ch))
        throw new RequestError(403, "ERR_FORBIDDEN", `not allowed to subscribe to ${ch}`);
    }
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
    if (this.options.protectStatus !== true) return;
    const grants = await this.grants(req, url);
    if (!grants.admin) throw new RequestError(403, "ERR_FORBIDDEN", "admin claim required");
  }

  private async grants(req: IncomingMessage, url: URL): Promise<Grants> {
    const token = this.tokenOf(req, url);
    if (token === null) throw new RequestError(401, "ERR_UNAUTHORIZED", "a bearer token is required");
    try {
      const verifyOptions: { issuer?: string; audience?: string } = {};
      if (this.options.issuer !== undefined) verifyOptions.issuer = this.options.issuer;
      if (this.options.audience !== undefined) verifyOptions.audience = this.options.audience;
      const { payload } = await jwtVerify(token, this.key, verifyOptions);
      const claim = payload.shoal;
      if (typeof claim !== "object" || claim === null) return NONE;
      const c = claim as Record<string, unknown>;
      return { publish: stringList(c.publish), subscribe: stringList(c.subscribe), admin: c.admin === true };
    } catch {
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

/** `redis://host:port[/db]`, checked before anything connects. */
import { BrokerConfigError } from "../errors.ts";

/** Where the Redis backplane connects. */
export interface RedisTarget {
  host: string;
  port: number;
  /** Logical database (SELECT), 0..15 on a default server. */
  db: number;
  /** The URL as given, without credentials (for /status and logs). */
  display: string;
  /** The URL to connect with (credentials included when given). */
  url: string;
}

/**
 * Parses a backplane URL. Only `redis://` (no TLS yet); credentials are allowed and never shown.
 * Throws {@link BrokerConfigError} (nothing has been changed) for anything else.
 */
export function parseRedisUrl(text: string, where = "--backplane"): RedisTarget {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new BrokerConfigError(`${where}: "${text}" is not a URL (expected redis://host:port[/db])`);
  }
  if (url.protocol !== "redis:")
    throw new BrokerConfigError(`${where}: only redis:// is supported, not ${url.protocol}//`);
  if (url.hostname === "") throw new BrokerConfigError(`${where}: the URL has no host`);
  const port = url.port === "" ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d{1,5}$/.test(path))
    throw new BrokerConfigError(`${where}: "/${path}" is not a database number`);
  const db = path === "" ? 0 : Number(path);
  if (url.search !== "" || url.hash !== "")
    throw new BrokerConfigError(`${where}: query strings and fragments are not supported`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { host, port, db, display: `redis://${shownHost}:${port}/${db}`, url: url.href };
}

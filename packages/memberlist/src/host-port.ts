/**
 * "host:port" text, the one place that reads and writes it (Go: net.JoinHostPort / SplitHostPort).
 * An IPv6 literal carries brackets, "[::1]:7946", so that its colons are not mistaken for the port's.
 * Exported for the broker, which prints and parses the same addresses.
 */
import { ConfigError } from "./errors.ts";

/** A host (IP literal or name, without brackets) and a port. */
export interface HostPort {
  host: string;
  port: number;
}

/** "host:port", with brackets around a host that has a colon (an IPv6 literal). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The inverse of {@link joinHostPort}: "host:port" or "[v6]:port" into its parts, or null when the
 * text is not that shape (no port, a port outside 0..65535, an unbracketed IPv6 literal, stray
 * brackets). Null rather than an exception because callers read addresses that came from peers.
 */
export function splitHostPort(addr: string): HostPort | null {
  let host: string;
  let portText: string;
  if (addr.startsWith("[")) {
    const close = addr.indexOf("]");
    if (close < 0 || addr[close + 1] !== ":") return null;
    host = addr.slice(1, close);
    portText = addr.slice(close + 2);
  } else {
    const colon = addr.lastIndexOf(":");
    if (colon < 0) return null;
    host = addr.slice(0, colon);
    portText = addr.slice(colon + 1);
    if (host.includes(":")) return null;
  }
  if (host.includes("[") || host.includes("]")) return null;
  const port = parsePort(portText);
  return port === null ? null : { host, port };
}

/**
 * A join address as people type it: "host:port", "[v6]:port", "[v6]", a bare IPv6 literal or a bare
 * host, the port defaulting to `defaultPort` (memberlist's bind port) when absent. ConfigError for a
 * port that is not a decimal number in 0..65535.
 */
export function parseHostPort(addr: string, defaultPort: number): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  if (bracketed) {
    return { host: bracketed[1]!, port: bracketed[2] ? requirePort(bracketed[2], addr) : defaultPort };
  }
  const colons = addr.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = addr.split(":");
    return { host: host!, port: requirePort(port!, addr) };
  }
  // No port, or a bare IPv6 literal.
  return { host: addr, port: defaultPort };
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65_535 ? n : null;
}

function requirePort(text: string, whole: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= 65_535)) throw new ConfigError(`invalid port in address '${whole}'`);
  return port;
}

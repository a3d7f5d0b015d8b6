/**
 * IP literal helpers shared by the transports: no DNS here, only parsing and classification.
 */

import { isIP } from "node:net";
import type { NetworkInterfaceInfo } from "node:os";
import type { Address } from "../driver.ts";
import { ConfigError } from "../errors.ts";

/** The interface table as `os.networkInterfaces()` returns it; injectable for tests. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** True for "1.2.3.4" and IPv6 literals (with or without a zone), false for names and garbage. */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/**
 * Turns an IPv4-mapped IPv6 literal ("::ffff:10.0.0.1", what a dual-stack socket reports for an IPv4
 * peer) into its dotted quad, so the same peer always has the same host string. Other input unchanged.
 */
export function unmapIPv4(host: string): string {
  const m = MAPPED_IPV4.exec(host);
  return m?.[1] !== undefined && isIP(m[1]) === 4 ? m[1] : host;
}

/** True for the "any address" literals "0.0.0.0" and "::" (in any spelling of all-zeros). */
export function isWildcard(host: string): boolean {
  if (host === "0.0.0.0") return true;
  return isIP(host) === 6 && /^[0:]+$/.test(host);
}

/** A port a peer can be reached on: an integer in 1..65535. */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

function ipv4Octets(host: string): number[] | undefined {
  if (isIP(host) !== 4) return undefined;
  return host.split(".").map(Number);
}

/** RFC 1918 (10/8, 172.16/12, 192.168/16) and RFC 6598 shared space (100.64/10). */
export function isPrivateIPv4(host: string): boolean {
  const o = ipv4Octets(host);
  if (o === undefined) return false;
  const [a = -1, b = -1] = o;
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/**
 * The host to advertise when bound to a wildcard address: the first private IPv4 address of a
 * non-internal interface, in the order the OS lists them. When there is none we fall back to the IPv4
 * loopback (then the IPv6 one) rather than failing as Go does, so a laptop with no network can still
 * run a local cluster; such a node is only reachable from the same machine.
 */
export function pickAdvertiseHost(interfaces: InterfaceTable): string {
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const privateAddr = all.find((i) => !i.internal && i.family === "IPv4" && isPrivateIPv4(i.address));
  if (privateAddr !== undefined) return privateAddr.address;
  const hasV4Loopback = all.some((i) => i.family === "IPv4" && i.address === "127.0.0.1");
  const hasV6Loopback = all.some((i) => i.family === "IPv6" && i.address === "::1");
  return hasV4Loopback || !hasV6Loopback ? "127.0.0.1" : "::1";
}

/**
 * The advertise address rules common to every transport (Go: FinalAdvertiseAddr). An explicit `ip`
 * must be an IP literal and is used with `port`; without `ip`, `automaticHost` is used with the bound
 * port, as Go ignores the advertise port in that case. A missing or zero port means the bound port.
 */
export function finalAdvertise(
  ip: string | undefined,
  port: number | undefined,
  bindPort: number,
  automaticHost: () => string,
): Address {
  if (port !== undefined && port !== 0 && !isValidPort(port)) {
    throw new ConfigError(`advertise port ${port} is not an integer in 1..65535`);
  }
  if (ip !== undefined && ip !== "") {
    if (!isIpLiteral(ip))
      throw new ConfigError(`advertise address ${JSON.stringify(ip)} is not an IP literal`);
    return { host: unmapIPv4(ip), port: port === undefined || port === 0 ? bindPort : port };
  }
  return { host: automaticHost(), port: bindPort };
}

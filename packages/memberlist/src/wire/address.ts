/**
 * IP address bytes as Go's net.IP carries them in `Addr`, `Target` and `SourceAddr` (memberlist-wire.md
 * §3.4): 4 bytes, or 16 bytes (IPv6, or IPv4-mapped `::ffff:a.b.c.d`). Callers should store and forward
 * the bytes they received: Go compares addresses byte-wise.
 */
import { ConfigError, DecodeError } from "../errors.ts";

function parseIPv4(s: string, out: Uint8Array, off: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[off + i] = v;
  }
  return true;
}

function parseIPv6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): string[] => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 address takes the last two groups.
  const all = [...head, ...tail];
  const last = all[all.length - 1];
  const v4 = last?.includes(".") === true;
  const total = head.length + tail.length + (v4 ? 1 : 0);
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const writeGroups = (gs: string[], start: number): boolean => {
    let off = start;
    for (const g of gs) {
      if (g.includes(".")) {
        if (off !== 12 || !parseIPv4(g, out, 12)) return false;
        off += 4;
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      const v = Number.parseInt(g, 16);
      out[off++] = v >>> 8;
      out[off++] = v & 0xff;
    }
    return true;
  };
  const tailBytes = tail.reduce((n, g) => n + (g.includes(".") ? 4 : 2), 0);
  if (!writeGroups(head, 0)) return null;
  if (!writeGroups(tail, 16 - tailBytes)) return null;
  return out;
}

/**
 * Parses an IP literal: dotted quad → 4 bytes, IPv6 (optionally in brackets, zone ignored) → 16 bytes.
 * ConfigError for anything else (host names must be resolved first).
 */
export function ipToBytes(host: string): Uint8Array {
  let h = host.trim();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  const zone = h.indexOf("%");
  if (zone >= 0) h = h.slice(0, zone);
  if (!h.includes(":")) {
    const out = new Uint8Array(4);
    if (parseIPv4(h, out, 0)) return out;
  } else {
    const out = parseIPv6(h);
    if (out) return out;
  }
  throw new ConfigError(`not an IP address: ${JSON.stringify(host)}`);
}

/**
 * Formats address bytes as Go's net.IP.String: 4 bytes or IPv4-mapped 16 bytes → dotted quad; other
 * 16-byte values → RFC 5952 IPv6. DecodeError for other lengths.
 */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new DecodeError(`IP address must be 4 or 16 bytes, not ${b.length}`);
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // Longest run of two or more zero groups (first on ties) becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/**
 * An IP network, kept in 16-byte form: an IPv4 network a.b.c.d/n is ::ffff:a.b.c.d/(96+n), so that
 * IPv4 and IPv4-mapped IPv6 addresses match the same rules (as node:net's BlockList matches them).
 */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

const v4MappedPrefix = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff);

/** 4-byte addresses as their IPv4-mapped 16 bytes; 16-byte addresses unchanged. */
function as16(ip: Uint8Array): Uint8Array {
  if (ip.length !== 4) return ip;
  const out = new Uint8Array(16);
  out.set(v4MappedPrefix);
  out.set(ip, 12);
  return out;
}

/**
 * Parses "10.0.0.0/8", "fd00::/8" or a bare address (a network of one). Null for anything else: a
 * bad address, a prefix length that is not an integer within the family's width, or brackets.
 */
export function parseCidr(text: string): Cidr | null {
  const [ip, prefixText] = text.trim().split("/");
  if (!ip || ip.startsWith("[")) return null;
  let bytes: Uint8Array;
  try {
    bytes = ipToBytes(ip);
  } catch {
    return null;
  }
  const width = bytes.length * 8;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return null;
  return { bytes: as16(bytes), bits: prefix + 128 - width };
}

/** Whether address bytes (4 or 16) lie inside `cidr`. False for other lengths. */
export function cidrContains(cidr: Cidr, ip: Uint8Array): boolean {
  if (ip.length !== 4 && ip.length !== 16) return false;
  const addr = as16(ip);
  const whole = cidr.bits >>> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== cidr.bytes[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[whole]! & mask) === (cidr.bytes[whole]! & mask);
}

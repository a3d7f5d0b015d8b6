/**
 * Checks a configuration before anything starts, so a mistake fails `create` with a clear ConfigError
 * instead of misbehaving later.
 */
import type { MemberlistConfig } from "./config.ts";
import { defaultLANConfig, ProtocolVersionMax, ProtocolVersionMin } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { Keyring, LabelMaxSize, maxDecompressedBytes } from "./wire/index.ts";

const durations = [
  "tcpTimeout",
  "pushPullInterval",
  "probeInterval",
  "probeTimeout",
  "gossipInterval",
  "gossipToTheDeadTime",
  "deadNodeReclaimTime",
  "rejoinInterval",
  "queueCheckInterval",
] as const;

const counts = [
  "indirectChecks",
  "retransmitMult",
  "suspicionMult",
  "suspicionMaxTimeoutMult",
  "gossipNodes",
  "handoffQueueDepth",
  "delegateProtocolVersion",
  "delegateProtocolMin",
  "delegateProtocolMax",
  "junkWarningsPerMinute",
] as const;

/** Merges `partial` onto the LAN defaults and validates the result. */
export function resolveConfig(partial: Partial<MemberlistConfig>): MemberlistConfig {
  if (partial === null || typeof partial !== "object") throw new ConfigError("config must be an object");
  const c: MemberlistConfig = { ...defaultLANConfig() };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }

  if (typeof c.name !== "string" || c.name.length === 0)
    throw new ConfigError("name must be a non-empty string");
  if (Buffer.byteLength(c.name) > 255) throw new ConfigError("name must be at most 255 bytes");
  if (
    !Number.isInteger(c.protocolVersion) ||
    c.protocolVersion < ProtocolVersionMin ||
    c.protocolVersion > ProtocolVersionMax
  ) {
    throw new ConfigError(
      `protocolVersion ${c.protocolVersion} is outside the supported range [${ProtocolVersionMin}, ${ProtocolVersionMax}]`,
    );
  }
  for (const k of durations) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigError(`${k} must be a non-negative number of milliseconds`);
  }
  for (const k of counts) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(`${k} must be a non-negative integer`);
  }
  for (const k of ["delegateProtocolVersion", "delegateProtocolMin", "delegateProtocolMax"] as const) {
    if (c[k] > 255) throw new ConfigError(`${k} must fit in a byte`);
  }
  if (!Number.isInteger(c.awarenessMaxMultiplier) || c.awarenessMaxMultiplier < 1) {
    throw new ConfigError("awarenessMaxMultiplier must be an integer >= 1");
  }
  if (!Number.isInteger(c.udpBufferSize) || c.udpBufferSize < 128 || c.udpBufferSize > 65_507) {
    throw new ConfigError("udpBufferSize must be an integer between 128 and 65507");
  }
  if (
    !Number.isInteger(c.maxDecompressedPacketBytes) ||
    c.maxDecompressedPacketBytes < 1 ||
    c.maxDecompressedPacketBytes > maxDecompressedBytes
  ) {
    throw new ConfigError(
      `maxDecompressedPacketBytes must be an integer between 1 and ${maxDecompressedBytes}`,
    );
  }
  if (!Number.isInteger(c.maxInboundStreams) || c.maxInboundStreams < 1) {
    throw new ConfigError("maxInboundStreams must be an integer >= 1");
  }
  if (!Number.isInteger(c.maxInboundStreamBytes) || c.maxInboundStreamBytes < 1) {
    throw new ConfigError("maxInboundStreamBytes must be an integer >= 1");
  }
  for (const k of ["bindPort", "advertisePort"] as const) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 0 || v > 65_535)
      throw new ConfigError(`${k} must be a port number (0-65535)`);
  }
  if (typeof c.label !== "string" || Buffer.byteLength(c.label) > LabelMaxSize) {
    throw new ConfigError(`label must be a string of at most ${LabelMaxSize} bytes`);
  }
  if (!Array.isArray(c.cidrsAllowed)) throw new ConfigError("cidrsAllowed must be an array of CIDR strings");
  if (c.secretKey !== undefined) {
    if (!(c.secretKey instanceof Uint8Array)) throw new ConfigError("secretKey must be a Uint8Array");
    Keyring.validateKey(c.secretKey);
  }
  return c;
}

/** The keyring to use: the configured one (with secretKey made primary), one made of secretKey, or none. */
export function buildKeyring(c: MemberlistConfig): Keyring | null {
  if (c.keyring) {
    if (c.secretKey) {
      c.keyring.addKey(c.secretKey);
      c.keyring.useKey(c.secretKey);
    }
    return c.keyring;
  }
  if (c.secretKey) return new Keyring([], c.secretKey);
  return null;
}

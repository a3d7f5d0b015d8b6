/**
 * Turning `shoal start` arguments, environment and config file into a {@link NodeConfig}. A flag
 * wins over its environment variable, which wins over the file, which wins over the default;
 * every bad value is a {@link BrokerConfigError} that names where the value came from.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { AuthOptions } from "../auth/jwt.ts";
import { parseRedisUrl } from "../backplane/redis-url.ts";
import { ACK_MODES } from "../core/plane.ts";
import { BrokerConfigError } from "../errors.ts";
import { isLogFormat, isLogLevel, type LogFormat, type LogLevel } from "../log.ts";
import type { NodeConfig } from "../node.ts";
import { assertClusterable } from "../security.ts";
import { loadConfigFile } from "./config-file.ts";
import { FLAGS } from "./flags.ts";
import { SettingSources, type SettingValue } from "./sources.ts";

export { parseDuration } from "./sources.ts";

/** What `shoal start` runs with. */
export interface StartSettings {
  config: NodeConfig;
  logLevel: LogLevel;
  /** Null when not set anywhere: then text on a terminal, JSON otherwise (decided by the caller). */
  logFormat: LogFormat | null;
  /** V8 heap growth past the live size, percent (0: V8's own); applied by the caller. */
  heapGrowthPercent: number;
}

/** Decodes the gossip key: strict base64 of exactly 16, 24 or 32 bytes. */
export function parseSecretKey(text: string, where = "--gossip.secretKey"): Uint8Array | null {
  if (text === "") return null;
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 !== 0)
    throw new BrokerConfigError(`${where} must be base64 (standard alphabet, padded)`);
  const key = Buffer.from(clean, "base64");
  if (![16, 24, 32].includes(key.length))
    throw new BrokerConfigError(
      `${where} decodes to ${key.length} bytes; AES needs 16, 24 or 32 (e.g. \`openssl rand -base64 32\`)`,
    );
  return new Uint8Array(key);
}

/** Reads the TLS certificate and key files: both or neither. */
function readTls(cert: SettingValue, key: SettingValue): { cert: Buffer; key: Buffer } | null {
  if (cert.text === "" && key.text === "") return null;
  if (cert.text === "" || key.text === "")
    throw new BrokerConfigError(
      `${cert.text === "" ? key.where : cert.where} is set: HTTPS needs both --http.tls.cert and --http.tls.key`,
    );
  const read = (v: SettingValue): Buffer => {
    try {
      return readFileSync(v.text);
    } catch (err) {
      throw new BrokerConfigError(`${v.where}: cannot read ${v.text}: ${(err as Error).message}`);
    }
  };
  return { cert: read(cert), key: read(key) };
}

/** Reads the command line: flag values by name (pflag's `--bool=false` included), or help/version. */
function readFlags(argv: string[]): Map<string, string> | "help" | "version" {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const [name, spec] of Object.entries(FLAGS)) options[name] = { type: spec.type };
  // pflag style `--bool-flag=false` (sse-cluster's CLI accepts it; parseArgs does not).
  const flags = new Map<string, string>();
  const args = argv.filter((arg) => {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m === null || FLAGS[m[1]!]?.type !== "boolean") return true;
    flags.set(m[1]!, m[2]!);
    return false;
  });
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new BrokerConfigError((err as Error).message);
  }
  if (parsed.values.help === true) return "help";
  if (parsed.values.version === true) return "version";
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== undefined && !flags.has(name)) flags.set(name, String(value));
  }
  return flags;
}

/** Turns argv + env (+ the `--config` file they name) into a node config. Throws {@link BrokerConfigError}. */
export function parseStartArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): StartSettings | { help: true } | { version: true } {
  const flags = readFlags(argv);
  if (flags === "help") return { help: true };
  if (flags === "version") return { version: true };
  const noFile = new SettingSources(FLAGS, flags, env, new Map(), "");
  const configPath = noFile.text("config");
  const file =
    configPath === ""
      ? new Map<string, string>()
      : loadConfigFile(configPath, (n) => n !== "config" && n in FLAGS);
  const s = new SettingSources(FLAGS, flags, env, file, configPath);

  const logLevel = s.get("log.level");
  if (!isLogLevel(logLevel.text))
    throw new BrokerConfigError(`${logLevel.where}: unknown level "${logLevel.text}"`);
  const format = s.get("log.format");
  let logFormat: LogFormat | null = null;
  if (isLogFormat(format.text)) logFormat = format.text;
  else if (format.text !== "")
    throw new BrokerConfigError(`${format.where}: "${format.text}" is not text or json`);
  let auth: AuthOptions | null = null;
  const jwtKey = s.get("auth.jwt.key");
  if (jwtKey.text !== "") {
    let key = jwtKey.text;
    if (key.startsWith("@")) {
      try {
        key = readFileSync(key.slice(1), "utf8");
      } catch (err) {
        throw new BrokerConfigError(
          `${jwtKey.where}: cannot read ${key.slice(1)}: ${(err as Error).message}`,
        );
      }
    }
    auth = {
      key,
      subscribeRequiresToken: !s.bool("auth.anonymousSubscribe"),
      protectStatus: s.bool("auth.protectStatus"),
      requireExp: !s.bool("auth.allowNoExp"),
    };
  }
  const secret = s.get("gossip.secretKey");
  const tls = readTls(s.get("http.tls.cert"), s.get("http.tls.key"));
  const config: NodeConfig = {
    name: s.text("node.name") || `${hostname()}-${randomBytes(3).toString("hex")}`,
    bindAddr: s.text("bind.addr"),
    gossipPort: s.int("gossip.port", 0, 65535),
    gossipHosts: s.list("gossip.hosts"),
    secretKey: parseSecretKey(secret.text, secret.where),
    gossipProfile: s.oneOf("gossip.profile", ["lan", "local"] as const),
    advertiseAddr: s.text("advertise.addr"),
    httpPort: s.int("http.server.port", 0, 65535),
    corsEnabled: s.bool("http.server.cors.enabled"),
    corsOrigins: s.list("http.server.cors.origins"),
    httpClientTimeoutMs: s.duration("http.client.timeout"),
    backplane: backplaneUrl(s.get("backplane")),
    backplaneTimeoutMs: s.duration("backplane.timeout"),
    ackMode: s.oneOf("replication.ack", ACK_MODES),
    ackTimeoutMs: s.duration("replication.ackTimeout"),
    historySize: s.int("history.size", 0, 10_000_000),
    historyAgeMs: s.duration("history.age"),
    historyBytes: s.int("history.bytes", 0, 2 ** 40),
    historyTotalBytes:
      s.text("history.totalBytes") === "auto" ? null : s.int("history.totalBytes", 0, 2 ** 40),
    maxChannels: s.int("channels.max", 1, 100_000_000),
    heartbeatMs: s.duration("sse.heartbeat"),
    retryMs: s.duration("sse.retry"),
    bufferBytes: s.int("sse.buffer", 1024, 2 ** 31),
    maxBodyBytes: s.int("http.body.limit", 16, 2 ** 31),
    maxJsonDepth: s.int("http.body.maxDepth", 1, 10_000),
    maxStreams: s.int("sse.maxStreams", 1, 10_000_000),
    maxStreamsPerAddress: s.int("sse.maxStreamsPerAddress", 1, 10_000_000),
    maxConnections: autoInt(s, "http.maxConnections"),
    maxConnectionsPerAddress: autoInt(s, "http.maxConnectionsPerAddress"),
    firstRequestTimeoutMs: s.duration("http.firstRequestTimeout"),
    shutdownTimeoutMs: s.duration("shutdown.timeout"),
    readyEvent: s.bool("sse.ready"),
    auth,
    dashboard: s.bool("dashboard"),
    tls,
    replicationMaxHandshakes: s.int("replication.maxHandshakes", 1, 100_000),
    replicationHandshakeTimeoutMs: s.duration("replication.handshakeTimeout"),
    maxOrigins: s.int("replication.maxOrigins", 1, 10_000_000),
    gossipLimits: {
      maxInboundStreams: s.int("gossip.maxInboundStreams", 1, 1_000_000),
      maxInboundStreamBytes: s.int("gossip.maxInboundStreamBytes", 1, 2 ** 40),
      // Memberlist accepts at most Go's 40 MiB here.
      maxDecompressedPacketBytes: s.int("gossip.maxDecompressedPacketBytes", 1, 40 * 1024 * 1024),
      junkWarningsPerMinute: s.int("gossip.junkWarningsPerMinute", 0, 1_000_000),
    },
  };
  assertClusterable(config);
  return {
    config,
    logLevel: logLevel.text,
    logFormat,
    heapGrowthPercent: s.int("memory.heapGrowth", 0, 1000),
  };
}

/** A count that may be `auto` (null: the caller derives it). */
function autoInt(s: SettingSources, name: string): number | null {
  return s.text(name).trim() === "auto" ? null : s.int(name, 1, 10_000_000);
}

/** The backplane URL, checked now so a typo stops the start with the source named; null for none. */
function backplaneUrl(value: { text: string; where: string }): string | null {
  if (value.text.trim() === "") return null;
  parseRedisUrl(value.text, value.where);
  return value.text.trim();
}

/**
 * The `shoal` command. `shoal start` takes sse-cluster's flags and environment variables, plus
 * Shoal's own; a flag wins over its environment variable, which wins over the default.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { AuthOptions } from "./auth/jwt.ts";
import { BrokerConfigError } from "./errors.ts";
import { createLogger, isLogLevel, type LogLevel } from "./log.ts";
import { type NodeConfig, startShoalNode } from "./node.ts";

interface FlagSpec {
  env: string;
  type: "string" | "boolean";
  default: string;
  help: string;
}

/** Every flag of `shoal start`: name -> env var, type, default, help. */
export const FLAGS: Record<string, FlagSpec> = {
  "gossip.port": {
    env: "GOSSIP_PORT",
    type: "string",
    default: "42000",
    help: "Gossip (memberlist) port, UDP and TCP.",
  },
  "gossip.hosts": {
    env: "GOSSIP_HOSTS",
    type: "string",
    default: "",
    help: "Comma-separated host:port of existing members to join.",
  },
  "gossip.secretKey": {
    env: "GOSSIP_SECRET_KEY",
    type: "string",
    default: "",
    help: "Base64 AES key (16, 24 or 32 bytes): encrypts gossip and authenticates/encrypts replication.",
  },
  "gossip.profile": {
    env: "SHOAL_GOSSIP_PROFILE",
    type: "string",
    default: "lan",
    help: "Gossip timing: lan (memberlist defaults) or local (fast, for one host).",
  },
  "http.server.port": {
    env: "HTTP_SERVER_PORT",
    type: "string",
    default: "8080",
    help: "HTTP port (API, streams, replication).",
  },
  "http.server.cors.enabled": {
    env: "HTTP_SERVER_ENABLE_CORS",
    type: "boolean",
    default: "false",
    help: "Send CORS headers (with --http.server.cors.origins: only to those, with credentials).",
  },
  "http.server.cors.origins": {
    env: "SHOAL_CORS_ORIGINS",
    type: "string",
    default: "",
    help: "Comma-separated allowed origins (exact). Empty with CORS on: any origin, no credentials.",
  },
  "http.client.timeout": {
    env: "HTTP_CLIENT_TIMEOUT",
    type: "string",
    default: "5s",
    help: "Timeout of node-to-node connections (e.g. 500ms, 5s, or ms as a number).",
  },
  "node.name": {
    env: "SHOAL_NODE_NAME",
    type: "string",
    default: "",
    help: "Unique node name (default: host name + random suffix).",
  },
  "bind.addr": {
    env: "SHOAL_BIND_ADDR",
    type: "string",
    default: "0.0.0.0",
    help: "Address HTTP and gossip bind to.",
  },
  "advertise.addr": {
    env: "SHOAL_ADVERTISE_ADDR",
    type: "string",
    default: "",
    help: "Address peers use to reach this node (default: derived from the bind address).",
  },
  "history.size": {
    env: "SHOAL_HISTORY_SIZE",
    type: "string",
    default: "1000",
    help: "Events kept per channel for resume.",
  },
  "history.age": {
    env: "SHOAL_HISTORY_AGE",
    type: "string",
    default: "5m",
    help: "Oldest event kept for resume (e.g. 30s, 5m).",
  },
  "history.bytes": {
    env: "SHOAL_HISTORY_BYTES",
    type: "string",
    default: "8388608",
    help: "Most payload bytes kept per channel for resume.",
  },
  "sse.heartbeat": {
    env: "SHOAL_HEARTBEAT",
    type: "string",
    default: "15s",
    help: "Heartbeat comment interval (0 = off).",
  },
  "sse.retry": {
    env: "SHOAL_RETRY",
    type: "string",
    default: "2s",
    help: "Reconnect delay suggested to clients (jittered ±50%).",
  },
  "sse.buffer": {
    env: "SHOAL_BUFFER_BYTES",
    type: "string",
    default: "1048576",
    help: "Bytes a subscriber may lag behind before it is disconnected (it can resume).",
  },
  "sse.ready": {
    env: "SHOAL_READY_EVENT",
    type: "string",
    default: "true",
    help: "Open each stream with a `shoal-ready` event whose id is the starting cursor (true/false).",
  },
  "http.body.limit": {
    env: "SHOAL_BODY_LIMIT",
    type: "string",
    default: "1048576",
    help: "Largest publish body, bytes.",
  },
  "auth.jwt.key": {
    env: "SHOAL_JWT_KEY",
    type: "string",
    default: "",
    help: "Turns JWT auth on: HMAC secret, or a path to a PEM public key (prefix with @).",
  },
  "auth.anonymousSubscribe": {
    env: "SHOAL_AUTH_ANONYMOUS_SUBSCRIBE",
    type: "boolean",
    default: "false",
    help: "With auth on, let subscribers in without a token.",
  },
  "auth.protectStatus": {
    env: "SHOAL_AUTH_PROTECT_STATUS",
    type: "boolean",
    default: "false",
    help: "With auth on, /status and /metrics need a token whose shoal.admin claim is true.",
  },
  "shutdown.timeout": {
    env: "SHOAL_SHUTDOWN_TIMEOUT",
    type: "string",
    default: "10s",
    help: "Bound on the graceful stop.",
  },
  "log.level": {
    env: "SHOAL_LOG_LEVEL",
    type: "string",
    default: "info",
    help: "debug, info, warn, error or silent.",
  },
};

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    "Usage: shoal start [flags]",
    "",
    "Starts a clustered Server-Sent Events broker node. Every flag can also be set by its environment variable.",
    "",
    "Routes: GET /channel/{channel}[/client/{client}][?channel=more]  (subscribe; Last-Event-ID resumes)",
    "        POST /channel, /channel/{channel}, /channel/{channel}/client/{client}  JSON {id?, event?, data, retry?}",
    "        GET /status, /healthz, /metrics",
    "",
    "Flags:",
  ];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const def = spec.default === "" ? "" : ` (default ${spec.default})`;
    lines.push(`  --${name}${spec.type === "string" ? " <value>" : ""}`);
    lines.push(`      ${spec.help}${def}  [env ${spec.env}]`);
  }
  lines.push("  -h, --help", "      Show this help.", "");
  return lines.join("\n");
}

/** Parses a duration: plain ms, or with ms/s/m/h. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new BrokerConfigError(`--${name}: "${text}" is not a duration (e.g. 500ms, 15s, 5m)`);
  const unit = m[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(Number(m[1]) * factor);
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new BrokerConfigError(`--${name}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new BrokerConfigError(`--${name}: ${n} is outside ${min}..${max}`);
  return n;
}

function parseBool(name: string, text: string): boolean {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off", ""].includes(t)) return false;
  throw new BrokerConfigError(`--${name}: "${text}" is not a boolean`);
}

/** Decodes the gossip key: strict base64 of exactly 16, 24 or 32 bytes. */
export function parseSecretKey(text: string): Uint8Array | null {
  if (text === "") return null;
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 !== 0)
    throw new BrokerConfigError("--gossip.secretKey must be base64 (standard alphabet, padded)");
  const key = Buffer.from(clean, "base64");
  if (![16, 24, 32].includes(key.length))
    throw new BrokerConfigError(
      `--gossip.secretKey decodes to ${key.length} bytes; AES needs 16, 24 or 32 (e.g. \`openssl rand -base64 32\`)`,
    );
  return new Uint8Array(key);
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Turns argv + env into a node config and log level. Throws {@link BrokerConfigError}. */
export function parseStartArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { config: NodeConfig; logLevel: LogLevel } | { help: true } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, spec] of Object.entries(FLAGS)) options[name] = { type: spec.type };
  // pflag style `--bool-flag=false` (sse-cluster's CLI accepts it; parseArgs does not).
  const boolOverrides = new Map<string, string>();
  const args = argv.filter((arg) => {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m === null || FLAGS[m[1]!]?.type !== "boolean") return true;
    boolOverrides.set(m[1]!, m[2]!);
    return false;
  });
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new BrokerConfigError((err as Error).message);
  }
  if (parsed.values.help === true) return { help: true };
  const get = (name: string): string => {
    const override = boolOverrides.get(name);
    if (override !== undefined) return override;
    const flag = parsed.values[name];
    if (flag !== undefined) return String(flag);
    const spec = FLAGS[name]!;
    return env[spec.env] ?? spec.default;
  };
  const logLevel = get("log.level");
  if (!isLogLevel(logLevel)) throw new BrokerConfigError(`--log.level: unknown level "${logLevel}"`);
  const profile = get("gossip.profile");
  if (profile !== "lan" && profile !== "local")
    throw new BrokerConfigError('--gossip.profile must be "lan" or "local"');
  let auth: AuthOptions | null = null;
  const jwtKey = get("auth.jwt.key");
  if (jwtKey !== "") {
    let key = jwtKey;
    if (jwtKey.startsWith("@")) {
      try {
        key = readFileSync(jwtKey.slice(1), "utf8");
      } catch (err) {
        throw new BrokerConfigError(
          `--auth.jwt.key: cannot read ${jwtKey.slice(1)}: ${(err as Error).message}`,
        );
      }
    }
    auth = {
      key,
      subscribeRequiresToken: !parseBool("auth.anonymousSubscribe", get("auth.anonymousSubscribe")),
      protectStatus: parseBool("auth.protectStatus", get("auth.protectStatus")),
    };
  }
  const httpPort = parseInteger("http.server.port", get("http.server.port"), 0, 65535);
  const name = get("node.name") || `${hostname()}-${randomBytes(3).toString("hex")}`;
  const config: NodeConfig = {
    name,
    bindAddr: get("bind.addr"),
    gossipPort: parseInteger("gossip.port", get("gossip.port"), 0, 65535),
    gossipHosts: list(get("gossip.hosts")),
    secretKey: parseSecretKey(get("gossip.secretKey")),
    gossipProfile: profile,
    advertiseAddr: get("advertise.addr"),
    httpPort,
    corsEnabled: parseBool("http.server.cors.enabled", get("http.server.cors.enabled")),
    corsOrigins: list(get("http.server.cors.origins")),
    httpClientTimeoutMs: parseDuration("http.client.timeout", get("http.client.timeout")),
    historySize: parseInteger("history.size", get("history.size"), 0, 10_000_000),
    historyAgeMs: parseDuration("history.age", get("history.age")),
    historyBytes: parseInteger("history.bytes", get("history.bytes"), 0, 2 ** 40),
    heartbeatMs: parseDuration("sse.heartbeat", get("sse.heartbeat")),
    retryMs: parseDuration("sse.retry", get("sse.retry")),
    bufferBytes: parseInteger("sse.buffer", get("sse.buffer"), 1024, 2 ** 31),
    maxBodyBytes: parseInteger("http.body.limit", get("http.body.limit"), 16, 2 ** 31),
    shutdownTimeoutMs: parseDuration("shutdown.timeout", get("shutdown.timeout")),
    readyEvent: parseBool("sse.ready", get("sse.ready")),
    auth,
  };
  return { config, logLevel };
}

/** Entry point: `shoal <command> [flags]`. Resolves with the process exit code for errors. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(helpText());
    return command === undefined ? 2 : 0;
  }
  if (command !== "start") {
    process.stderr.write(`shoal: unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseStartArgs>;
  try {
    parsed = parseStartArgs(rest, env);
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\n`);
    return 2;
  }
  if ("help" in parsed) {
    process.stdout.write(helpText());
    return 0;
  }
  const { config, logLevel } = parsed;
  const logger = createLogger(logLevel, { node: config.name });
  let node: Awaited<ReturnType<typeof startShoalNode>>;
  try {
    node = await startShoalNode(config, logger);
  } catch (err) {
    logger.error("failed to start", { error: (err as Error).message });
    return 1;
  }
  const onSignal = (signal: string) => {
    logger.info("stopping", { signal });
    const force = setTimeout(() => {
      logger.error("graceful stop took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    force.unref();
    node.stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error("stop failed", { error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  return null;
}

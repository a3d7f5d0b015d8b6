/**
 * Turning `shoal start` arguments and environment into a {@link NodeConfig}. A flag wins over its
 * environment variable, which wins over the default; every bad value is a {@link BrokerConfigError}.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { AuthOptions } from "../auth/jwt.ts";
import { BrokerConfigError } from "../errors.ts";
import { isLogLevel, type LogLevel } from "../log.ts";
import type { NodeConfig } from "../node.ts";
import { FLAGS } from "./flags.ts";

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
    historyTotalBytes: parseInteger("history.totalBytes", get("history.totalBytes"), 0, 2 ** 40),
    maxChannels: parseInteger("channels.max", get("channels.max"), 1, 100_000_000),
    heartbeatMs: parseDuration("sse.heartbeat", get("sse.heartbeat")),
    retryMs: parseDuration("sse.retry", get("sse.retry")),
    bufferBytes: parseInteger("sse.buffer", get("sse.buffer"), 1024, 2 ** 31),
    maxBodyBytes: parseInteger("http.body.limit", get("http.body.limit"), 16, 2 ** 31),
    maxJsonDepth: parseInteger("http.body.maxDepth", get("http.body.maxDepth"), 1, 10_000),
    shutdownTimeoutMs: parseDuration("shutdown.timeout", get("shutdown.timeout")),
    readyEvent: parseBool("sse.ready", get("sse.ready")),
    auth,
    dashboard: parseBool("dashboard", get("dashboard")),
  };
  return { config, logLevel };
}

/**
 * `shoal start` settings from flags, environment and a config file (YAML or JSON), errors that
 * name the source of a bad value, `--version` and `--log.format`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT } from "../src/cli/heap-growth.ts";
import { defaultLogFormat, parseStartArgs } from "../src/cli.ts";
import { BrokerConfigError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import { startShoalNode } from "../src/node.ts";
import { runShoal, type ShoalProcess, spawnShoal } from "./cli-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-config-"));
const procs: ShoalProcess[] = [];
after(() => {
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function settings(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseStartArgs(argv, env);
  assert.ok("config" in parsed);
  return parsed;
}

function configError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseStartArgs(argv, env);
  } catch (err) {
    assert.ok(err instanceof BrokerConfigError, String(err));
    assert.equal(err.code, "ERR_CONFIG");
    return err.message;
  }
  assert.fail(`no error for ${argv.join(" ")} ${JSON.stringify(env)}`);
}

test("flags beat env, env beats the config file, the file beats defaults (YAML, nested or dotted)", () => {
  const yaml = file(
    "shoal.yaml",
    [
      "# a config file uses the flags' names",
      "gossip:",
      "  port: 7001",
      "  hosts: [a:1, b:2]",
      "http.server.port: 7002",
      "sse:",
      "  heartbeat: 3s",
      "history.size: 77",
      "dashboard: false",
      "log.level: warn",
      "log.format: text",
    ].join("\n"),
  );
  const fromFile = settings(["--config", yaml]);
  assert.equal(fromFile.config.gossipPort, 7001);
  assert.deepEqual(fromFile.config.gossipHosts, ["a:1", "b:2"]);
  assert.equal(fromFile.config.httpPort, 7002);
  assert.equal(fromFile.config.heartbeatMs, 3000);
  assert.equal(fromFile.config.historySize, 77);
  assert.equal(fromFile.config.dashboard, false);
  assert.equal(fromFile.logLevel, "warn");
  assert.equal(fromFile.logFormat, "text");
  assert.equal(fromFile.config.historyBytes, 8388608, "unset in the file: the default");

  const envWins = settings(["--config", yaml], { GOSSIP_PORT: "7101", SHOAL_DASHBOARD: "true" });
  assert.equal(envWins.config.gossipPort, 7101);
  assert.equal(envWins.config.dashboard, true);
  assert.equal(envWins.config.httpPort, 7002, "the file still fills what env does not set");

  const flagWins = settings(["--config", yaml, "--gossip.port", "7201", "--dashboard=false"], {
    GOSSIP_PORT: "7101",
    SHOAL_DASHBOARD: "true",
  });
  assert.equal(flagWins.config.gossipPort, 7201);
  assert.equal(flagWins.config.dashboard, false);

  // The file can also be named by SHOAL_CONFIG, and be JSON.
  const json = file("shoal.json", JSON.stringify({ "gossip.port": 7301, http: { server: { port: 7302 } } }));
  const viaEnv = settings([], { SHOAL_CONFIG: json });
  assert.equal(viaEnv.config.gossipPort, 7301);
  assert.equal(viaEnv.config.httpPort, 7302);
  assert.equal(viaEnv.logFormat, null, "log format unset: the caller picks by terminal");
});

test("--memory.heapGrowth: 10 % by default, from flag, env or file; an explicit Node option wins", () => {
  assert.equal(settings([]).heapGrowthPercent, DEFAULT_HEAP_GROWTH_PERCENT);
  assert.equal(DEFAULT_HEAP_GROWTH_PERCENT, 10);
  assert.equal(settings(["--memory.heapGrowth", "0"]).heapGrowthPercent, 0);
  assert.equal(settings([], { SHOAL_HEAP_GROWTH: "25" }).heapGrowthPercent, 25);
  const yaml = file("heap.yaml", "memory:\n  heapGrowth: 40\n");
  assert.equal(settings(["--config", yaml]).heapGrowthPercent, 40);
  assert.match(configError(["--memory.heapGrowth", "-5"]), /--memory\.heapGrowth/);
  assert.equal(applyHeapGrowth(0, [], ""), "v8-default");
  assert.equal(applyHeapGrowth(10, ["--heap-growing-percent=50"], ""), "node-option");
  assert.equal(applyHeapGrowth(10, [], "--max-old-space-size=512 --heap_growing_percent=50"), "node-option");
});

test("the replication handshake and gossip input limits are flags (flag, env, file) that reach memberlist", async () => {
  const defaults = settings([]).config;
  assert.equal(defaults.replicationMaxHandshakes, 32);
  assert.equal(defaults.replicationHandshakeTimeoutMs, 3_000);
  assert.equal(defaults.maxOrigins, 1_000);
  assert.deepEqual(defaults.gossipLimits, {
    maxInboundStreams: 128,
    maxInboundStreamBytes: 32 * 1024 * 1024,
    maxDecompressedPacketBytes: 64 * 1024,
    junkWarningsPerMinute: 10,
  });
  const yaml = file(
    "limits.yaml",
    ["replication:", "  maxHandshakes: 8", "gossip:", "  junkWarningsPerMinute: 3"].join("\n"),
  );
  const s = settings(
    [
      "--config",
      yaml,
      "--replication.handshakeTimeout",
      "1500ms",
      "--replication.maxOrigins",
      "50",
      "--gossip.maxInboundStreams",
      "7",
      "--gossip.maxDecompressedPacketBytes",
      "32768",
      "--bind.addr",
      "127.0.0.1",
      "--gossip.port",
      "0",
      "--http.server.port",
      "0",
      "--dashboard=false",
    ],
    { SHOAL_GOSSIP_MAX_INBOUND_STREAM_BYTES: "1048576" },
  ).config;
  assert.equal(defaults.maxConnections, null, "auto: derived from the stream limit");
  assert.equal(defaults.maxConnectionsPerAddress, null);
  const conns = settings(["--http.maxConnections", "500"], {
    SHOAL_MAX_CONNECTIONS_PER_ADDRESS: "50",
  }).config;
  assert.equal(conns.maxConnections, 500);
  assert.equal(conns.maxConnectionsPerAddress, 50);
  assert.equal(s.replicationMaxHandshakes, 8);
  assert.equal(s.replicationHandshakeTimeoutMs, 1_500);
  const node = await startShoalNode(s, createLogger("silent"));
  try {
    assert.equal(node.broker.hub.maxOrigins, 50, "the seq-map bound reaches the hub");
    const ml = node.membership.ml.config;
    assert.equal(ml.maxInboundStreams, 7);
    assert.equal(ml.maxInboundStreamBytes, 1024 * 1024);
    assert.equal(ml.maxDecompressedPacketBytes, 32 * 1024);
    assert.equal(ml.junkWarningsPerMinute, 3);
  } finally {
    await node.stop();
  }
  assert.match(configError(["--gossip.maxDecompressedPacketBytes", "99999999999"]), /outside/);
  assert.match(
    configError([], { SHOAL_REPLICATION_MAX_HANDSHAKES: "0" }),
    /SHOAL_REPLICATION_MAX_HANDSHAKES/,
  );
});

test("a bad value is reported with its source: flag, environment variable or file", () => {
  assert.match(configError(["--gossip.port", "abc"]), /^--gossip\.port: "abc" is not a whole number/);
  const fromEnv = configError([], { GOSSIP_PORT: "abc" });
  assert.match(fromEnv, /env GOSSIP_PORT/);
  assert.doesNotMatch(fromEnv, /^--gossip\.port/);
  const yaml = file("bad.yaml", "gossip.port: abc\n");
  const fromFile = configError(["--config", yaml]);
  assert.ok(fromFile.startsWith(`${yaml}: gossip.port: "abc"`), fromFile);
  // The same for every kind of value.
  assert.match(configError([], { SHOAL_HISTORY_AGE: "soon" }), /env SHOAL_HISTORY_AGE/);
  assert.match(configError([], { HTTP_SERVER_ENABLE_CORS: "maybe" }), /env HTTP_SERVER_ENABLE_CORS/);
  assert.match(configError([], { SHOAL_LOG_LEVEL: "loud" }), /env SHOAL_LOG_LEVEL/);
  assert.match(configError([], { SHOAL_LOG_FORMAT: "xml" }), /env SHOAL_LOG_FORMAT/);
  assert.match(configError([], { SHOAL_GOSSIP_PROFILE: "wan" }), /env SHOAL_GOSSIP_PROFILE/);
  assert.match(configError([], { GOSSIP_SECRET_KEY: "short" }), /env GOSSIP_SECRET_KEY/);
  assert.match(
    configError(["--config", file("key.yaml", "gossip.secretKey: c2hvcnQ=\n")]),
    /key\.yaml: gossip\.secretKey decodes to 5 bytes/,
  );
});

test("a broken config file is a clear error naming the file", () => {
  assert.match(configError(["--config", join(dir, "missing.yaml")]), /missing\.yaml: cannot read it/);
  assert.match(
    configError(["--config", file("typo.yaml", "gossip.prot: 1\n")]),
    /typo\.yaml: unknown setting "gossip\.prot"/,
  );
  assert.match(configError(["--config", file("broken.yaml", "gossip: [\n")]), /broken\.yaml: not valid YAML/);
  assert.match(configError(["--config", file("broken.json", "{")]), /broken\.json: not valid JSON/);
  assert.match(configError(["--config", file("list.yaml", "- 1\n")]), /top level must be a mapping/);
  assert.match(
    configError(["--config", file("twice.yaml", "gossip.port: 1\ngossip:\n  port: 2\n")]),
    /set twice/,
  );
  assert.match(
    configError(["--config", file("self.yaml", "config: other.yaml\n")]),
    /unknown setting "config"/,
  );
  // Aliases are bounded: an alias bomb is refused, not expanded.
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 12; i++)
    bomb.push(
      `${"b".repeat(i)}: &${"b".repeat(i)} [${Array(10)
        .fill(i === 1 ? "*a" : `*${"b".repeat(i - 1)}`)
        .join(", ")}]`,
    );
  assert.match(configError(["--config", file("bomb.yaml", `${bomb.join("\n")}\n`)]), /bomb\.yaml/);
  settings(["--config", file("empty.yaml", "")]); // an empty file sets nothing
});

test("shoal --version prints the package version; a bad env value exits 2 naming the variable", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  for (const args of [["--version"], ["start", "--version"]]) {
    const out = await runShoal(args);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `${version}\n`);
  }
  const bad = await runShoal(["start"], { GOSSIP_PORT: "abc" });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /env GOSSIP_PORT \(--gossip\.port\): "abc" is not a whole number/);
});

test("--log.format: text for people (the default on a terminal), json for machines", async () => {
  assert.equal(defaultLogFormat({ isTTY: true }), "text");
  assert.equal(defaultLogFormat({ isTTY: false }), "json");
  assert.equal(defaultLogFormat({}), "json");
  const lines: string[] = [];
  const text = createLogger("info", { node: "n1" }, (l) => lines.push(l), "text");
  text.info("node started", { httpPort: 8080, seeds: ["a:1"], note: "two words" });
  text.debug("hidden");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^\d{4}-\d\d-\d\dT\S+Z INFO {2}node started node=n1 httpPort=8080 seeds=\["a:1"\] note="two words"\n$/,
  );
  const json = createLogger("info", { node: "n1" }, (l) => lines.push(l), "json");
  json.warn("x", { a: 1 });
  assert.deepEqual(
    { ...JSON.parse(lines[1]!), time: 0 },
    { time: 0, level: "warn", msg: "x", node: "n1", a: 1 },
  );

  // A real process told to log text from its config file.
  const cfg = file("text.yaml", "log.format: text\n");
  const node = await spawnShoal("fmt", ["--config", cfg, "--gossip.profile", "local"]);
  procs.push(node);
  assert.ok(node.logs.some((l) => typeof l.raw === "string" && / INFO {2}node started /.test(l.raw)));
  node.proc.kill("SIGTERM");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration, parseSecretKey, parseStartArgs } from "../src/cli.ts";
import { BrokerConfigError } from "../src/errors.ts";

function config(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseStartArgs(argv, env);
  assert.ok("config" in parsed);
  return parsed.config;
}

test("sse-cluster defaults, flags and environment variables", () => {
  const d = config([]);
  assert.equal(d.gossipPort, 42000);
  assert.equal(d.httpPort, 8080);
  assert.deepEqual(d.gossipHosts, []);
  assert.equal(d.secretKey, null);
  assert.equal(d.corsEnabled, false);
  assert.equal(d.heartbeatMs, 15_000);

  const key = Buffer.alloc(16, 7).toString("base64");
  const e = config([], {
    GOSSIP_PORT: "1234",
    GOSSIP_HOSTS: "a:1, b:2",
    GOSSIP_SECRET_KEY: key,
    HTTP_SERVER_PORT: "9090",
    HTTP_SERVER_ENABLE_CORS: "true",
    HTTP_CLIENT_TIMEOUT: "750ms",
  });
  assert.equal(e.gossipPort, 1234);
  assert.deepEqual(e.gossipHosts, ["a:1", "b:2"]);
  assert.equal(e.secretKey?.length, 16);
  assert.equal(e.httpPort, 9090);
  assert.equal(e.corsEnabled, true);
  assert.equal(e.httpClientTimeoutMs, 750);

  const f = config(["--gossip.port", "5", "--http.server.cors.enabled=false", "--sse.heartbeat", "2s"], {
    GOSSIP_PORT: "1234",
    HTTP_SERVER_ENABLE_CORS: "true",
  });
  assert.equal(f.gossipPort, 5, "flag beats env");
  assert.equal(f.corsEnabled, false, "--bool=false works");
  assert.equal(f.heartbeatMs, 2000);
  assert.equal(config(["--http.server.cors.enabled"]).corsEnabled, true);
});

test("bad values are clear config errors", () => {
  for (const argv of [
    ["--gossip.port", "70000"],
    ["--gossip.port", "x"],
    ["--history.age", "soon"],
    ["--log.level", "loud"],
    ["--unknown"],
    ["--gossip.profile", "wan"],
  ]) {
    assert.throws(() => parseStartArgs(argv, {}), BrokerConfigError, argv.join(" "));
  }
});

test("the secret key must be real base64 of an AES key size", () => {
  assert.equal(parseSecretKey(""), null);
  for (const n of [16, 24, 32]) assert.equal(parseSecretKey(Buffer.alloc(n).toString("base64"))?.length, n);
  assert.throws(() => parseSecretKey(Buffer.from("thisisatemporarykey").toString("base64")), /19 bytes/);
  assert.throws(() => parseSecretKey("not base64!"), BrokerConfigError);
});

test("durations", () => {
  assert.equal(parseDuration("x", "250"), 250);
  assert.equal(parseDuration("x", "1.5s"), 1500);
  assert.equal(parseDuration("x", "5m"), 300_000);
  assert.throws(() => parseDuration("x", "-1s"), BrokerConfigError);
});

test("--backplane takes a redis:// URL, checked at start with its source named", () => {
  assert.equal(config([]).backplane, null);
  const c = config(["--backplane", "redis://127.0.0.1:6390/2", "--backplane.timeout", "500ms"]);
  assert.equal(c.backplane, "redis://127.0.0.1:6390/2");
  assert.equal(c.backplaneTimeoutMs, 500);
  assert.equal(config([], { SHOAL_BACKPLANE: "redis://redis.internal" }).backplane, "redis://redis.internal");
  assert.throws(
    () => config(["--backplane", "http://127.0.0.1:6379"]),
    (err: unknown) => {
      assert.ok(err instanceof BrokerConfigError);
      assert.match(err.message, /--backplane: only redis:\/\//);
      return true;
    },
  );
  assert.throws(
    () => config([], { SHOAL_BACKPLANE: "redis://h:1/x" }),
    (err: unknown) => err instanceof BrokerConfigError && /SHOAL_BACKPLANE.*database/.test(err.message),
  );
});

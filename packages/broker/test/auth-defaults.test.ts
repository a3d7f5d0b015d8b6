/**
 * Auth that holds by default: status, metrics and the dashboard's data protected, tokens must
 * expire, a client id belongs to its token, and auth without a gossip key refuses to start
 * (an open cluster says so). The CLI parts run real `shoal start` processes.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SignJWT } from "jose";
import { runShoal, type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";

const SECRET = "test-secret-that-is-long-enough-for-hs256";
const nodes: TestNode[] = [];
const procs: ShoalProcess[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
});

async function token(
  claims: Record<string, unknown>,
  opts: { sub?: string; exp?: boolean } = {},
): Promise<string> {
  const jwt = new SignJWT({ shoal: claims }).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (opts.sub !== undefined) jwt.setSubject(opts.sub);
  if (opts.exp !== false) jwt.setExpirationTime("1h");
  return jwt.sign(new TextEncoder().encode(SECRET));
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

test("with auth on, /status, /metrics and the dashboard's data need an admin token unless opened", async () => {
  const n = await startNode({ auth: { key: SECRET }, dashboard: true });
  nodes.push(n);
  const reader = await token({ subscribe: ["*"] });
  const admin = await token({ admin: true });
  for (const path of ["/status", "/metrics", "/dashboard/snapshot"]) {
    assert.equal((await httpJson(n.base, "GET", path)).status, 401, `${path} without a token`);
    assert.equal((await httpJson(n.base, "GET", path, undefined, bearer(reader))).status, 403, path);
    assert.equal((await httpJson(n.base, "GET", path, undefined, bearer(admin))).status, 200, path);
  }
  assert.equal((await httpJson(n.base, "GET", "/healthz")).status, 200, "health stays open");
  const opened = await startNode({ auth: { key: SECRET, protectStatus: false } });
  nodes.push(opened);
  assert.equal((await httpJson(opened.base, "GET", "/status")).status, 200, "explicitly opened");
});

test("with auth on, tokens without exp are refused unless allowed", async () => {
  const n = await startNode({ auth: { key: SECRET } });
  nodes.push(n);
  const forever = await token({ publish: ["*"] }, { exp: false });
  const refused = await httpJson(n.base, "POST", "/channel/x", { data: 1 }, bearer(forever));
  assert.equal(refused.status, 401);
  assert.match((refused.body as { error: { message: string } }).error.message, /no exp claim/);
  const lenient = await startNode({ auth: { key: SECRET, requireExp: false } });
  nodes.push(lenient);
  assert.equal(
    (await httpJson(lenient.base, "POST", "/channel/x", { data: 1 }, bearer(forever))).status,
    200,
  );
});

test("a client id belongs to its token: no takeover, no reading another client's events", async () => {
  const n = await startNode({ auth: { key: SECRET } });
  nodes.push(n);
  const victimToken = await token({ subscribe: ["private"] }, { sub: "victim-1" });
  const mallory = await token({ subscribe: ["public"] }, { sub: "mallory" });
  const app = await token({ subscribe: ["public"], clients: ["app-*"] });
  const publisher = await token({ publish: ["*"] });

  const victim = await SseClient.open(
    n.base,
    `/channel/private/client/victim-1?authorization=${victimToken}`,
  );
  assert.equal(victim.status, 200);
  await waitFor(() => victim.named("shoal-ready").length === 1, "victim ready");

  const takeover = await SseClient.open(n.base, `/channel/public/client/victim-1?authorization=${mallory}`);
  assert.equal(takeover.status, 403, "mallory may not claim victim-1");
  const own = await SseClient.open(n.base, `/channel/public/client/mallory?authorization=${mallory}`);
  assert.equal(own.status, 200, "its own sub is fine");
  const listed = await SseClient.open(n.base, `/channel/public/client/app-7?authorization=${app}`);
  assert.equal(listed.status, 200, "a shoal.clients pattern is fine");
  await waitFor(() => own.named("shoal-ready").length === 1, "mallory ready");

  // Events for victim-1 on its channel, and on a channel mallory may read: only the victim's
  // own stream gets what is addressed to it.
  await httpJson(
    n.base,
    "POST",
    "/channel/public/client/victim-1",
    { data: "for victim-1 on public" },
    bearer(publisher),
  );
  await httpJson(
    n.base,
    "POST",
    "/channel/private/client/victim-1",
    { data: "for victim" },
    bearer(publisher),
  );
  await httpJson(n.base, "POST", "/channel/public", { data: "end" }, bearer(publisher));
  await waitFor(() => own.named().length >= 1, "mallory's end marker");
  await waitFor(() => victim.named().length === 1, "victim's event");
  assert.equal(victim.ended, false, "the victim's stream was not closed");
  assert.deepEqual(
    own.named().map((e) => e.data),
    ["end"],
  );
  for (const c of [victim, takeover, own, listed]) c.close();
});

test("anonymous subscribers (auth.anonymousSubscribe) cannot claim a client id", async () => {
  const n = await startNode({ auth: { key: SECRET, subscribeRequiresToken: false } });
  nodes.push(n);
  const anon = await SseClient.open(n.base, "/channel/news");
  assert.equal(anon.status, 200);
  const claimed = await SseClient.open(n.base, "/channel/news/client/victim-1");
  assert.equal(claimed.status, 403);
  anon.close();
  claimed.close();
});

test("shoal start refuses auth without a gossip key, and says how to make one", async () => {
  const refused = await runShoal(
    ["start", "--auth.jwt.key", SECRET, "--http.server.port", "0", "--gossip.port", "0"],
    {},
    20_000,
  );
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--auth\.jwt\.key needs --gossip\.secretKey/);
  assert.match(refused.stderr, /shoal keygen/);
  assert.match(refused.stderr, /openssl rand -base64 32/);
  const keygen = await runShoal(["keygen"]);
  assert.equal(keygen.code, 0);
  assert.equal(Buffer.from(keygen.stdout.trim(), "base64").length, 32);
  const keyed = await spawnShoal("keyed", [
    "--auth.jwt.key",
    SECRET,
    "--gossip.secretKey",
    keygen.stdout.trim(),
  ]);
  procs.push(keyed);
  assert.equal(keyed.logs.filter((l) => String(l.msg).startsWith("open cluster")).length, 0);
  const admin = await token({ admin: true });
  const status = (await httpJson(keyed.base, "GET", "/status", undefined, bearer(admin))).body as {
    security: { open_cluster: boolean; gossip_key: boolean; auth: boolean };
  };
  assert.deepEqual(status.security, { gossip_key: true, auth: true, open_cluster: false });
});

test("an open cluster (no key, no auth) says so once at startup and in /status", async () => {
  const open = await spawnShoal("open", []);
  procs.push(open);
  const warnings = open.logs.filter((l) => String(l.msg).startsWith("open cluster"));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.level, "warn");
  const status = (await httpJson(open.base, "GET", "/status")).body as {
    security: { open_cluster: boolean };
  };
  assert.equal(status.security.open_cluster, true);
});

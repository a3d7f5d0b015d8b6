import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SignJWT } from "jose";
import { compilePattern } from "../src/auth/patterns.ts";
import { httpJson, SseClient, startNode, type TestNode, waitFor } from "./helpers.ts";

const SECRET = "test-secret-that-is-long-enough-for-hs256";
const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
});

async function token(claims: Record<string, unknown>, secret = SECRET, exp = "1h"): Promise<string> {
  return new SignJWT({ shoal: claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

test("channel patterns", () => {
  assert.equal(compilePattern("*")("anything"), true);
  assert.equal(compilePattern("news.*")("news.sport"), true);
  assert.equal(compilePattern("news.*")("weather"), false);
  assert.equal(compilePattern("a.b")("aXb"), false, "dots are literal");
  assert.equal(compilePattern("exact")("exact"), true);
});

test("JWT from header, cookie or query decides who may publish and subscribe", async () => {
  const n = await startNode({ auth: { key: SECRET, protectStatus: true } });
  nodes.push(n);
  const publisher = await token({ publish: ["news.*"] });
  const subscriber = await token({ subscribe: ["news.*", "public"] });
  const admin = await token({ admin: true });

  assert.equal((await httpJson(n.base, "POST", "/channel/news.a", { data: 1 })).status, 401);
  assert.equal(
    (await httpJson(n.base, "POST", "/channel/news.a", { data: 1 }, { Authorization: `Bearer ${publisher}` }))
      .status,
    200,
  );
  assert.equal(
    (await httpJson(n.base, "POST", "/channel/other", { data: 1 }, { Authorization: `Bearer ${publisher}` }))
      .status,
    403,
  );
  assert.equal(
    (await httpJson(n.base, "POST", "/channel", { data: 1 }, { Authorization: `Bearer ${publisher}` }))
      .status,
    403,
    "all-channel publish needs a * grant",
  );
  assert.equal(
    (
      await httpJson(
        n.base,
        "POST",
        "/channel/news.b",
        { data: 1 },
        { Cookie: `x=1; shoalAuthorization=${publisher}` },
      )
    ).status,
    200,
  );
  const forged = await token({ publish: ["*"] }, "some-other-secret-of-enough-length!!");
  assert.equal(
    (await httpJson(n.base, "POST", "/channel/news.a", { data: 1 }, { Authorization: `Bearer ${forged}` }))
      .status,
    401,
  );
  assert.equal(
    (await httpJson(n.base, "POST", "/channel/news.a", { data: 1 }, { Authorization: "Bearer not.a.jwt" }))
      .status,
    401,
  );

  assert.equal((await SseClient.open(n.base, "/channel/news.a")).status, 401);
  assert.equal((await SseClient.open(n.base, `/channel/secret?authorization=${subscriber}`)).status, 403);
  assert.equal(
    (await SseClient.open(n.base, `/channel/news.a?channel=secret&authorization=${subscriber}`)).status,
    403,
  );
  const ok = await SseClient.open(n.base, `/channel/news.a?channel=public&authorization=${subscriber}`);
  assert.equal(ok.status, 200);
  await waitFor(() => ok.named("shoal-ready").length === 1, "ready");
  await httpJson(
    n.base,
    "POST",
    "/channel/news.a",
    { data: "authorised" },
    { Authorization: `Bearer ${publisher}` },
  );
  await waitFor(() => ok.named().length === 1, "delivery");
  ok.close();

  assert.equal((await httpJson(n.base, "GET", "/status")).status, 401);
  assert.equal(
    (await httpJson(n.base, "GET", "/metrics", undefined, { Authorization: `Bearer ${publisher}` })).status,
    403,
  );
  assert.equal(
    (await httpJson(n.base, "GET", "/status", undefined, { Authorization: `Bearer ${admin}` })).status,
    200,
  );
  assert.equal(
    (await httpJson(n.base, "GET", "/metrics", undefined, { Authorization: `Bearer ${admin}` })).status,
    200,
  );
  assert.equal((await httpJson(n.base, "GET", "/healthz")).status, 200);
});

test("CORS: listed origins get themselves back with credentials; never * with credentials", async () => {
  const listed = await startNode({ cors: { enabled: true, origins: ["https://app.example"] } });
  const open = await startNode({ cors: { enabled: true, origins: [] } });
  nodes.push(listed, open);
  const pre = await fetch(`${listed.base}/channel/x`, {
    method: "OPTIONS",
    headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  assert.match(String(pre.headers.get("access-control-allow-headers")), /Last-Event-ID/);
  const stranger = await httpJson(
    listed.base,
    "POST",
    "/channel/x",
    { data: 1 },
    { Origin: "https://evil.example" },
  );
  assert.equal(stranger.headers["access-control-allow-origin"], undefined);
  const stream = await SseClient.open(listed.base, "/channel/x", { Origin: "https://app.example" });
  assert.equal(stream.headers["access-control-allow-origin"], "https://app.example");
  stream.close();
  const any = await httpJson(
    open.base,
    "POST",
    "/channel/x",
    { data: 1 },
    { Origin: "https://whoever.example" },
  );
  assert.equal(any.headers["access-control-allow-origin"], "*");
  assert.equal(any.headers["access-control-allow-credentials"], undefined);
});

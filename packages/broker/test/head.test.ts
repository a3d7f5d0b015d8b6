/** HEAD answers every GET route with GET's status and headers and no body (it was a 405). */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, test } from "node:test";
import { startNode, type TestNode } from "./helpers.ts";

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop();
});

/** One request; resolves with status, headers and the body bytes received. */
function send(
  base: string,
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
        // A GET of a stream never ends by itself: the headers and first bytes are enough.
        if (path.startsWith("/channel/") || path.endsWith("/events")) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      res.on("end", done);
      res.on("close", done);
    });
    req.on("error", reject);
    req.end();
  });
}

test("HEAD on /healthz, /metrics, /status, a channel and the dashboard: GET's status and headers, no body", async () => {
  const node = await startNode({ dashboard: true });
  nodes.push(node);
  for (const path of [
    "/healthz",
    "/metrics",
    "/status",
    "/channel/news",
    "/channel/news/client/c1?channel=more",
    "/",
    "/dashboard/snapshot",
    "/dashboard/events",
  ]) {
    const get = await send(node.base, "GET", path);
    const head = await send(node.base, "HEAD", path);
    assert.equal(get.status, 200, `GET ${path}`);
    assert.equal(head.status, 200, `HEAD ${path}`);
    assert.equal(head.headers["content-type"], get.headers["content-type"], `content-type of ${path}`);
    assert.equal(head.body, "", `HEAD ${path} has no body`);
    assert.ok(get.body.length > 0, `GET ${path} has a body`);
  }
  // HEAD of a stream opens none, and a bad channel is refused as GET would.
  assert.equal(node.broker.hub.connectionCount, 0);
  assert.equal((await send(node.base, "HEAD", "/channel/bad%20name")).status, 400);
  // Other methods are still refused.
  assert.equal((await send(node.base, "DELETE", "/metrics")).status, 405);
  assert.equal((await send(node.base, "PUT", "/channel/news")).status, 405);
});

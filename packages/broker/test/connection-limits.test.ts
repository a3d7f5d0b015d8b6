/**
 * Raw connections to the HTTP port on real `shoal start` processes: sockets that never send a
 * request are bounded in total and per client address (derived from the stream limits unless set),
 * the extra ones get a 503 and are closed, and `/healthz` from elsewhere still answers.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { waitFor } from "./helpers.ts";

const procs: ShoalProcess[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
});

interface Idle {
  socket: Socket;
  closed: () => boolean;
  received: () => string;
}

/** Opens a TCP connection from `localAddress` that sends nothing; resolves once connected. */
async function idle(port: number, localAddress: string): Promise<Idle> {
  const socket = connect({ host: "127.0.0.1", port, localAddress });
  sockets.push(socket);
  let closed = false;
  let received = "";
  socket.setEncoding("utf8").on("data", (c: string) => {
    received += c;
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, closed: () => closed, received: () => received };
}

async function openIdle(port: number, localAddress: string, n: number): Promise<Idle[]> {
  const out: Idle[] = [];
  for (let i = 0; i < n; i++) out.push(await idle(port, localAddress));
  return out;
}

/** GET from `localAddress` with a deadline. */
async function get(
  port: number,
  path: string,
  localAddress: string,
): Promise<{ status: number; body: string }> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, localAddress, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function openConnections(metrics: string): number {
  const m = /^shoal_http_connections (\d+)$/m.exec(metrics);
  assert.ok(m, "shoal_http_connections is exported");
  return Number(m[1]);
}

function rejections(metrics: string, limit: string): number {
  const m = new RegExp(`^shoal_limit_rejections_total\\{limit="${limit}"\\} (\\d+)$`, "m").exec(metrics);
  return m === null ? 0 : Number(m[1]);
}

test("idle connections past the per-address bound (streams + 64 by default) get a 503 and are closed", async () => {
  const p = await spawnShoal("idle-per-address", [
    "--sse.maxStreams",
    "20",
    "--sse.maxStreamsPerAddress",
    "10",
  ]);
  procs.push(p);
  // 10 streams + 64 of headroom from one address; 100 idle sockets: 26 are refused.
  const conns = await openIdle(p.httpPort, "127.0.0.1", 100);
  await waitFor(() => conns.filter((c) => c.closed()).length === 26, "26 connections refused", 20_000);
  const refused = conns.filter((c) => c.closed());
  assert.ok(
    refused.every((c) => c.received().startsWith("HTTP/1.1 503")),
    refused[0]?.received(),
  );
  assert.ok(
    conns.slice(0, 74).every((c) => !c.closed()),
    "the first 74 stay open",
  );
  // Another client is served: the idle ones hold neither its slot nor the node's descriptors.
  const health = await get(p.httpPort, "/healthz", "127.0.0.2");
  assert.equal(health.status, 200);
  const metrics = await get(p.httpPort, "/metrics", "127.0.0.2");
  assert.equal(rejections(metrics.body, "http_connections_per_address"), 26);
  // The gauge counts the 74 held open, plus this scrape's own (and /healthz's, if not yet closed).
  const open = openConnections(metrics.body);
  assert.ok(open >= 75 && open <= 76, `shoal_http_connections ${open}`);
  for (const c of conns) c.socket.destroy();
  // Back down once the node has seen them close (this scrape and perhaps /healthz's remain).
  const deadline = Date.now() + 20_000;
  let after = Number.POSITIVE_INFINITY;
  while (after > 2 && Date.now() < deadline) {
    after = openConnections((await get(p.httpPort, "/metrics", "127.0.0.2")).body);
    if (after > 2) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(after <= 2, `shoal_http_connections ${after} after the idle ones closed`);
});

test("a connection that sends no request within --http.firstRequestTimeout is closed and counted; a stream is not", async () => {
  const p = await spawnShoal("idle-timeout", ["--http.firstRequestTimeout", "300ms"]);
  procs.push(p);
  const silent = await idle(p.httpPort, "127.0.0.1");
  const streaming = await idle(p.httpPort, "127.0.0.1");
  streaming.socket.write("GET /channel/quiet HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => silent.closed(), "the silent connection closed", 20_000);
  await waitFor(() => streaming.received().includes("200 OK"), "the stream opened");
  // A connection opened after the stream has timed out, so the stream's own deadline is past too.
  const later = await idle(p.httpPort, "127.0.0.1");
  await waitFor(() => later.closed(), "the later silent connection closed", 20_000);
  assert.equal(streaming.closed(), false, "a connection that sent a request keeps no first-request deadline");
  const metrics = await get(p.httpPort, "/metrics", "127.0.0.2");
  assert.equal(rejections(metrics.body, "http_first_request_timeout"), 2);
});

test("--http.maxConnections bounds the total; closing connections frees their slots", async () => {
  const p = await spawnShoal("idle-total", [
    "--http.maxConnections",
    "30",
    "--http.maxConnectionsPerAddress",
    "20",
  ]);
  procs.push(p);
  const first = await openIdle(p.httpPort, "127.0.0.1", 25);
  await waitFor(() => first.filter((c) => c.closed()).length === 5, "5 refused from one address");
  const second = await openIdle(p.httpPort, "127.0.0.3", 15);
  await waitFor(() => second.filter((c) => c.closed()).length === 5, "5 refused past the total");
  const full = await get(p.httpPort, "/healthz", "127.0.0.2");
  assert.equal(full.status, 503, "the node is full");
  assert.match(full.body, /ERR_TOO_MANY_CONNECTIONS/);
  for (const c of first.slice(0, 3)) c.socket.destroy();
  const deadline = Date.now() + 20_000;
  let health = 0;
  while (health !== 200 && Date.now() < deadline) {
    health = (await get(p.httpPort, "/healthz", "127.0.0.2").catch(() => null))?.status ?? 0;
    if (health !== 200) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(health, 200, "a freed slot serves /healthz");
  const metrics = await get(p.httpPort, "/metrics", "127.0.0.2");
  assert.equal(rejections(metrics.body, "http_connections_per_address"), 5);
  assert.ok(rejections(metrics.body, "http_connections_total") >= 6);
});

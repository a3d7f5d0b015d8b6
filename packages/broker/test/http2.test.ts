/**
 * Subscribe and publish over HTTP/2 (TLS, node:http2's client: many channels and streams on one
 * connection), with HTTP/1.1 still served on the same port (`allowHTTP1`). The broker used to write
 * HTTP/1.1 chunk framing to the raw socket, which broke every HTTP/2 stream. Certificates are made
 * here with `openssl` (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ClientHttp2Session, connect, createSecureServer, type Http2SecureServer } from "node:http2";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type Broker, createBroker } from "../src/broker.ts";
import { parseStartArgs } from "../src/cli/parse.ts";
import { BrokerConfigError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import { type ShoalNode, startShoalNode } from "../src/node.ts";
import { waitFor } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-h2-"));
const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
  rmSync(dir, { recursive: true, force: true });
});

function certificate(): { key: Buffer; cert: Buffer; keyPath: string; certPath: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key), cert: readFileSync(cert), keyPath: key, certPath: cert };
}

async function secureBroker(): Promise<{
  broker: Broker;
  server: Http2SecureServer;
  port: number;
  ca: Buffer;
}> {
  const { key, cert } = certificate();
  const broker = createBroker({ heartbeatMs: 0 });
  const server = createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => {
    if (!broker.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(async () => {
    await broker.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { broker, server, port: (server.address() as AddressInfo).port, ca: cert };
}

/** One HTTP/2 stream's response: status and the text received so far. */
function h2get(
  session: ClientHttp2Session,
  path: string,
): { status: () => number; text: () => string; close(): void } {
  const stream = session.request({ ":path": path, accept: "text/event-stream" });
  let status = 0;
  let text = "";
  stream.on("response", (h) => (status = Number(h[":status"])));
  stream.setEncoding("utf8");
  stream.on("data", (c: string) => (text += c));
  stream.on("error", () => {});
  return { status: () => status, text: () => text, close: () => stream.close() };
}

function h2post(
  session: ClientHttp2Session,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path, ":method": "POST", "content-type": "application/json" });
    let status = 0;
    let text = "";
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => (text += c));
    stream.on("end", () => resolve({ status, body: text }));
    stream.on("error", reject);
    stream.end(JSON.stringify(body));
  });
}

test("HTTP/2 over TLS: 20 streams on 10 channels and their publishes share one connection", async () => {
  const { port, ca } = await secureBroker();
  const session = connect(`https://localhost:${port}`, { ca });
  session.on("error", () => {});
  cleanup.push(() => session.close());
  const subs = Array.from({ length: 20 }, (_, i) => ({
    ch: `ch${i % 10}`,
    s: h2get(session, `/channel/ch${i % 10}`),
  }));
  await waitFor(
    () => subs.every(({ s }) => s.text().includes("event: shoal-ready")),
    "20 streams ready",
    20_000,
  );
  assert.ok(subs.every(({ s }) => s.status() === 200));
  for (let i = 0; i < 10; i++) {
    const res = await h2post(session, `/channel/ch${i}`, { data: `hello ${i}` });
    assert.equal(res.status, 200, res.body);
  }
  await waitFor(
    () => subs.every(({ ch, s }) => s.text().includes(`data: hello ${ch.slice(2)}\n`)),
    "every stream got its channel's event",
    20_000,
  );
  for (const { ch, s } of subs) {
    // Pure SSE: no HTTP/1.1 chunk sizes in the stream's data, and no other channel's events.
    assert.doesNotMatch(s.text(), /^[0-9a-f]+\r$/m, "no chunk framing");
    for (let i = 0; i < 10; i++) if (`ch${i}` !== ch) assert.ok(!s.text().includes(`data: hello ${i}\n`));
  }
  for (const { s } of subs) s.close();
});

test("HTTP/1.1 still works on the same TLS port (allowHTTP1): status and a stream", async () => {
  const { port, ca } = await secureBroker();
  const get = (path: string) =>
    new Promise<{ status: number; version: string; first: string }>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path, ca, servername: "localhost" }, (res) => {
        res.setEncoding("utf8");
        res.once("data", (c: string) => {
          resolve({ status: res.statusCode ?? 0, version: res.httpVersion, first: c });
          res.destroy();
        });
      });
      req.on("error", reject);
      req.end();
    });
  const health = await get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(health.version, "1.1");
  const stream = await get("/channel/news");
  assert.equal(stream.status, 200);
  assert.match(stream.first, /event: shoal-ready/);
});

test("shoal start --http.tls.cert/--http.tls.key: two nodes over HTTPS, HTTP/2 subscribe on one, HTTP/1.1 publish on the other, replicated over TLS", async () => {
  const { certPath, keyPath, cert } = certificate();
  assert.throws(
    () => parseStartArgs(["--http.tls.cert", certPath], {}),
    (e: Error) => e instanceof BrokerConfigError && /--http\.tls\.cert is set/.test(e.message),
  );
  assert.throws(
    () => parseStartArgs([], { SHOAL_TLS_CERT: join(dir, "none.pem"), SHOAL_TLS_KEY: keyPath }),
    /env SHOAL_TLS_CERT \(--http\.tls\.cert\): cannot read/,
  );
  const nodes: ShoalNode[] = [];
  cleanup.push(async () => {
    for (const n of nodes) await n.stop().catch(() => {});
  });
  for (const name of ["t1", "t2"]) {
    const seeds = nodes.map((n) => `127.0.0.1:${n.gossipPort}`).join(",");
    const parsed = parseStartArgs(
      [
        "--node.name",
        name,
        "--bind.addr",
        "127.0.0.1",
        "--gossip.port",
        "0",
        "--http.server.port",
        "0",
        "--gossip.profile",
        "local",
        "--http.tls.cert",
        certPath,
        "--http.tls.key",
        keyPath,
        "--dashboard=false",
      ],
      { GOSSIP_HOSTS: seeds },
    );
    assert.ok("config" in parsed);
    nodes.push(await startShoalNode(parsed.config, createLogger("silent")));
  }
  const [t1, t2] = nodes as [ShoalNode, ShoalNode];
  await waitFor(
    () => t1.broker.status().replication.some((l) => l.connected),
    "replication link t1 -> t2 over TLS",
    20_000,
  );
  const session = connect(`https://localhost:${t2.httpPort}`, { ca: cert });
  session.on("error", () => {});
  cleanup.push(() => session.close());
  const sub = h2get(session, "/channel/tls");
  await waitFor(() => sub.text().includes("shoal-ready"), "h2 stream on t2");
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: t1.httpPort,
        path: "/channel/tls",
        method: "POST",
        ca: cert,
        servername: "localhost",
        headers: { "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ data: "over tls" }));
  });
  assert.equal(status, 200);
  await waitFor(() => sub.text().includes("data: over tls\n"), "the event on t2", 20_000);
  sub.close();
});

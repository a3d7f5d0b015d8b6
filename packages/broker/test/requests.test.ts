/**
 * Hostile request bodies: nesting deep enough to overflow the stack is a 400, and a body refused
 * for its size is not read on (the connection is closed), on a real `shoal start` process.
 */
import assert from "node:assert/strict";
import { get } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { httpJson, waitFor } from "./helpers.ts";

let node: ShoalProcess;
before(async () => {
  node = await spawnShoal("requests", ["--http.body.limit", "4194304"]);
});
after(async () => {
  node.proc.kill("SIGKILL");
  await waitFor(() => node.exited, "exit");
});

test("JSON nested hundreds of thousands of levels deep is a 400, and the node lives on", async () => {
  const depth = 300_000;
  const body = `{"data":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const r = await httpJson(node.base, "POST", "/channel/deep", body);
  assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 200));
  assert.equal((r.body as { error: { code: string } }).error.code, "ERR_JSON_DEPTH");
  const nest = (n: number) => `{"data":${"[".repeat(n)}${"]".repeat(n)}}`;
  assert.equal((await httpJson(node.base, "POST", "/channel/deep", nest(63))).status, 200, "64 levels fit");
  assert.equal((await httpJson(node.base, "POST", "/channel/deep", nest(64))).status, 400, "65 do not");
  assert.equal(
    (await httpJson(node.base, "POST", "/channel/deep", { data: "[[[[ not nesting ]]]]" })).status,
    200,
    "brackets inside strings do not count",
  );
  assert.equal((await httpJson(node.base, "GET", "/healthz")).status, 200);
  const metrics = (await httpJson(node.base, "GET", "/metrics")).body as string;
  assert.match(metrics, /^shoal_limit_rejections_total\{limit="json_depth"\} 2$/m);
});

/** Streams a body of `declared` bytes (or chunked when null) until the server stops it; counts what got through. */
function streamBody(
  declared: number | null,
): Promise<{ response: string; written: number; closed: boolean }> {
  const cap = 512 * 1024 * 1024;
  return new Promise((resolve) => {
    const out = { response: "", written: 0, closed: false };
    const socket = connect(node.httpPort, "127.0.0.1", () => {
      const length = declared === null ? "Transfer-Encoding: chunked" : `Content-Length: ${declared}`;
      socket.write(
        `POST /channel/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${length}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const framed =
        declared === null ? Buffer.concat([Buffer.from("10000\r\n"), chunk, Buffer.from("\r\n")]) : chunk;
      const pump = (): void => {
        while (!out.closed && out.written < cap) {
          out.written += framed.length;
          if (!socket.write(framed)) {
            socket.once("drain", pump);
            return;
          }
        }
        if (out.written >= cap) socket.destroy(); // the server read it all: the bug
      };
      pump();
    });
    socket.on("data", (d: Buffer) => {
      out.response += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      out.closed = true;
      resolve(out);
    });
  });
}

test("after a 413 for an oversized declared body the connection is closed, not read on", async () => {
  const r = await streamBody(1024 * 1024 * 1024);
  assert.match(r.response, /^HTTP\/1\.1 413 /);
  assert.match(r.response, /connection: close/i);
  assert.ok(r.written < 64 * 1024 * 1024, `the server took ${r.written} bytes of a refused body`);
});

test("a chunked body that outgrows the limit is refused with 413 and the connection closed", async () => {
  const r = await streamBody(null);
  assert.match(r.response, /^HTTP\/1\.1 413 /);
  assert.ok(r.written < 64 * 1024 * 1024, `the server took ${r.written} bytes of a refused body`);
  const metrics = (await httpJson(node.base, "GET", "/metrics")).body as string;
  assert.match(metrics, /^shoal_limit_rejections_total\{limit="body_size"\} 2$/m);
  assert.equal((await httpJson(node.base, "GET", "/healthz")).status, 200);
});

test("an error answer to a bodiless GET keeps the connection alive", async () => {
  const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
    get(`${node.base}/no-such-route`, { agent: false, headers: { Connection: "keep-alive" } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, connection: res.headers.connection });
    }).on("error", reject);
  });
  assert.equal(headers.status, 404);
  assert.notEqual(headers.connection, "close");
});

test("a small refused body is drained and the keep-alive connection survives", async () => {
  const bad = await httpJson(node.base, "POST", "/channel/ok", "not json");
  assert.equal(bad.status, 400);
  assert.notEqual(bad.headers.connection, "close");
});

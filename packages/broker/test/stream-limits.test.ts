/**
 * Stream limits on real `shoal start` processes: a total and a per-address bound with a clear 503,
 * counted in /metrics, and /healthz and /metrics still answering while streams are at the limit,
 * even when the open-file limit is what would run out first.
 */
import assert from "node:assert/strict";
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { after, test } from "node:test";
import { type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { httpJson } from "./helpers.ts";

const procs: ShoalProcess[] = [];
const open: ClientRequest[] = [];
after(async () => {
  for (const r of open) r.destroy();
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
});

/** Opens a stream from `localAddress`; resolves with its status (the stream stays open if 200). */
function stream(
  port: number,
  localAddress: string,
  channel = "idle",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: `/channel/${channel}`, localAddress, agent: false },
      (res: IncomingMessage) => {
        if (res.statusCode === 200) {
          res.resume();
          resolve({ status: 200, body: "" });
          return;
        }
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("stream request timed out")));
    req.on("error", reject);
    req.end();
    open.push(req);
  });
}

/** GET with a deadline: a node out of descriptors never answers. */
async function answers(base: string, path: string): Promise<number> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.status;
}

test("a total and a per-address stream limit answer 503 with Retry-After, and free up on close", async () => {
  const p = await spawnShoal("streams", ["--sse.maxStreams", "40", "--sse.maxStreamsPerAddress", "30"]);
  procs.push(p);
  for (let i = 0; i < 30; i++) assert.equal((await stream(p.httpPort, "127.0.0.1")).status, 200);
  const perAddress = await stream(p.httpPort, "127.0.0.1");
  assert.equal(perAddress.status, 503);
  assert.equal(JSON.parse(perAddress.body).error.code, "ERR_TOO_MANY_STREAMS_FROM_ADDRESS");
  // Another address still gets in, up to the total.
  for (let i = 0; i < 10; i++) assert.equal((await stream(p.httpPort, "127.0.0.2")).status, 200);
  const res = await fetch(`${p.base}/channel/idle`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "ERR_TOO_MANY_STREAMS");
  assert.equal(await answers(p.base, "/healthz"), 200);
  const metrics = (await httpJson(p.base, "GET", "/metrics")).body as string;
  assert.match(metrics, /^shoal_limit_rejections_total\{limit="connections_total"\} 1$/m);
  assert.match(metrics, /^shoal_limit_rejections_total\{limit="connections_per_address"\} 1$/m);
  assert.match(metrics, /^shoal_connections 40$/m);
  // Closing streams gives their slots back.
  for (const r of open.splice(0, 5)) r.destroy();
  let reopened = 0;
  for (let tries = 0; tries < 200 && reopened === 0; tries++) {
    if ((await stream(p.httpPort, "127.0.0.3")).status === 200) reopened++;
    else await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(reopened, 1, "a slot freed by a closed stream is reused");
});

test("streams stop short of the open-file limit: /healthz and /metrics still answer", async () => {
  const p = await spawnShoal("fds", ["--sse.maxStreamsPerAddress", "100000"], {}, 400);
  procs.push(p);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 420; i++) {
    const r = await stream(p.httpPort, "127.0.0.1").catch(() => ({ status: 0, body: "" }));
    if (r.status === 200) accepted++;
    else if (r.status === 503) refused++;
  }
  assert.equal(accepted, 400 - 256, "the limit leaves 256 descriptors free");
  assert.equal(refused, 420 - accepted);
  assert.equal(await answers(p.base, "/healthz"), 200);
  assert.equal(await answers(p.base, "/metrics"), 200);
  assert.equal((await httpJson(p.base, "POST", "/channel/idle", { data: "still publishing" })).status, 200);
  assert.ok(
    p.logs.some(
      (l) => l.msg === "stream limit lowered to keep file descriptors free; raise `ulimit -n` to allow more",
    ),
  );
});

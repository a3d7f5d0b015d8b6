/**
 * Stream limits under attack, on a real `shoal start` (--sse.maxStreams 2,000,
 * --sse.maxStreamsPerAddress 100,000 so one loopback address can fill it): idle streams are
 * opened past the limit, then `/healthz` and `/metrics` are timed while the node is full.
 * Printed: streams accepted and refused, RSS, and health/metrics latency (goal: they answer).
 */
import { request } from "node:http";
import { mb, parallel, startShoal } from "./shoal-node.ts";

const LIMIT = 2_000;
const ATTEMPTS = 2_500;

function openStream(port: number, held: Array<{ destroy(): void }>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/channel/idle", agent: false }, (res) => {
      if (res.statusCode === 200) held.push(res);
      else res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.end();
    held.push(req);
  });
}

async function timed(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
  if (res !== null) await res.arrayBuffer();
  return { ms: performance.now() - started, status: res?.status ?? 0 };
}

export default async function streams(): Promise<void> {
  const node = await startShoal(["--sse.maxStreams", String(LIMIT), "--sse.maxStreamsPerAddress", "100000"]);
  const held: Array<{ destroy(): void }> = [];
  try {
    const idle = node.rss();
    const statuses = new Map<number, number>();
    await parallel(ATTEMPTS, 50, async () => {
      const s = await openStream(node.port, held);
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    });
    const health: number[] = [];
    const metrics: number[] = [];
    let failures = 0;
    for (let i = 0; i < 50; i++) {
      const h = await timed(`${node.base}/healthz`);
      const m = await timed(`${node.base}/metrics`);
      health.push(h.ms);
      metrics.push(m.ms);
      if (h.status !== 200 || m.status !== 200) failures++;
    }
    const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
    console.log(`${ATTEMPTS.toLocaleString("en-US")} stream attempts against --sse.maxStreams ${LIMIT}`);
    console.log(`  statuses           ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
    console.log(`  RSS idle / full    ${mb(idle)} / ${mb(node.rss())}`);
    console.log(
      `  /healthz at limit  p50 ${p(health, 0.5).toFixed(1)} ms, p99 ${p(health, 0.99).toFixed(1)} ms`,
    );
    console.log(
      `  /metrics at limit  p50 ${p(metrics, 0.5).toFixed(1)} ms, p99 ${p(metrics, 0.99).toFixed(1)} ms`,
    );
    console.log(`  failed checks      ${failures} of 100`);
  } finally {
    for (const h of held) h.destroy();
    await node.stop();
  }
}

/**
 * History and channel limits under attack, on a real `shoal start` with default limits
 * (--history.totalBytes auto: a quarter of the heap limit, --channels.max 100,000, and
 * --memory.heapGrowth 10: V8's own growth let b. peak at 1.2-1.7 GB):
 *  a. 100,000 one-byte publishes to distinct channels (was 1.8 GB: each channel's history was
 *     allocated at full size up front);
 *  b. 1 MB events to distinct channels (was a heap out-of-memory crash after about 4 GB).
 * Printed: idle RSS, peak RSS while sampling, RSS at the end, whether the node is alive, and what
 * /metrics says the history holds. Goal: peak stays under the history cap plus 200 MB.
 */
import { mb, parallel, post, type ShoalNode, startShoal } from "./shoal-node.ts";

const MiB = 1024 * 1024;

async function metric(node: ShoalNode, name: string): Promise<number> {
  const text = await (await fetch(`${node.base}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
}

async function flood(
  label: string,
  count: number,
  width: number,
  body: (i: number) => string,
  nodeArgs: string[] = [],
): Promise<void> {
  const node = await startShoal([], nodeArgs);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idle = node.rss();
    const cap = await metric(node, "shoal_history_max_bytes");
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, node.rss());
    }, 50);
    const statuses = new Map<number, number>();
    const started = performance.now();
    await parallel(count, width, async (i) => {
      const status = await post(node.port, `/channel/abuse-${i}`, body(i));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, node.rss());
    const end = node.rss();
    const alive = node.alive() && (await fetch(`${node.base}/healthz`)).status === 200;
    console.log(`${label}: ${count.toLocaleString("en-US")} publishes in ${seconds.toFixed(1)} s`);
    console.log(`  statuses        ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
    console.log(`  RSS idle        ${mb(idle)}`);
    console.log(`  RSS peak        ${mb(peak)}   (goal < cap ${mb(cap)} + 200 MB = ${mb(cap + 200 * MiB)})`);
    console.log(`  RSS at the end  ${mb(end)}`);
    console.log(`  node alive      ${alive}`);
    if (alive) {
      console.log(`  channels        ${await metric(node, "shoal_channels")}`);
      console.log(
        `  history         ${mb(await metric(node, "shoal_history_bytes"))} in ${await metric(node, "shoal_history_events")} events`,
      );
      console.log(
        `  evicted         ${await metric(node, "shoal_history_evicted_total")} events (total cap), ${await metric(node, "shoal_channels_evicted_total")} channels (channel cap)`,
      );
    }
  } finally {
    await node.stop();
  }
}

export default async function channels(): Promise<void> {
  // The history cap defaults to a quarter of the heap limit (16..256 MiB): 256 MiB under Node's
  // default heap on a big machine, about 140 MiB under a 512 MB old space (a 2 GB node's default).
  await flood("a. 100,000 one-byte events to distinct channels", 100_000, 32, () => '{"data":"x"}');
  const megabyte = `{"data":"${"m".repeat(1_000_000)}"}`;
  await flood("b. 1 MB events to distinct channels, Node's default heap", 2_000, 8, () => megabyte);
  await flood(
    "c. 1 MB events to distinct channels, --max-old-space-size=512 (a 2 GB node's default heap)",
    2_000,
    8,
    () => megabyte,
    ["--max-old-space-size=512"],
  );
}

import { MemberlistCluster } from "../src/memberlist-cluster.ts";

const N = Number(process.argv[2] ?? 50);
const T = Number(process.argv[3] ?? 30);
const compress = process.argv[4] !== "nocompress";
const c = new MemberlistCluster({ seed: 1, config: { enableCompression: compress } });
c.grow(N, { spacingMs: 5 });
let t0 = performance.now();
for (const step of [N * 5 + 2000, T * 1000]) {
  const e0 = c.sim.stats.events;
  await c.sim.run(step);
  const wall = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const counts = c.memberCounts().map((x) => x ?? 0);
  console.log({
    until: step,
    wall,
    events: c.sim.stats.events - e0,
    min: Math.min(...counts),
    max: Math.max(...counts),
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  });
}

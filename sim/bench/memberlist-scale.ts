/**
 * How fast real Memberlist nodes run on the simulator, then runs to `virtualSeconds`. Two starts:
 * `grown` (members start 5 ms apart, each joining the first: the join storm included) and `formed`
 * (the cluster starts formed, as after its join gossip died down: steady state only).
 * Prints one JSON line with the wall time of each phase, events, and heap. Never fails on time.
 * Usage: node --conditions=development --import tsx sim/bench/memberlist-scale.ts [nodes=1000]
 *          [virtualSeconds=120] [compress=true|false] [seed=1] [start=grown|formed]
 */
import { MemberlistCluster } from "../src/memberlist-cluster.ts";

const nodes = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 120);
const compress = process.argv[4] !== "false";
const seed = Number(process.argv[5] ?? 1);
const start = process.argv[6] === "formed" ? "formed" : "grown";

const cluster = new MemberlistCluster({
  seed,
  config: { enableCompression: compress },
  replayCommand: `node --conditions=development --import tsx sim/bench/memberlist-scale.ts ${nodes} ${seconds} ${compress} ${seed} ${start}`,
});
if (start === "formed") cluster.form(nodes);
else cluster.grow(nodes, { spacingMs: 5 });
const phases: Record<string, unknown>[] = [];
let wall0 = performance.now();
const formationEnd = start === "formed" ? 1 : Math.min(seconds * 1000, nodes * 5 + 2000);
// Member counts are O(N) per node: read them from an evenly spaced sample, outside the timed part.
const sampleSize = Math.min(nodes, 200);
const sample = Array.from({ length: sampleSize }, (_, i) => Math.floor((i * nodes) / sampleSize));
for (const until of [formationEnd, seconds * 1000]) {
  const e0 = cluster.sim.stats.events;
  await cluster.sim.run(until);
  const wallSeconds = Number(((performance.now() - wall0) / 1000).toFixed(2));
  const counts = sample.map((id) => cluster.sim.node(id).app?.numMembers() ?? 0);
  phases.push({
    untilVirtualSeconds: until / 1000,
    wallSeconds,
    events: cluster.sim.stats.events - e0,
    minMembersSeen: Math.min(...counts),
    maxMembersSeen: Math.max(...counts),
    sampledNodes: sampleSize,
  });
  wall0 = performance.now();
}
console.log(
  JSON.stringify({
    nodes,
    start,
    virtualSeconds: seconds,
    compress,
    phases,
    totalWallSeconds: phases.reduce((a, p) => a + (p.wallSeconds as number), 0),
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    trace: cluster.sim.traceHash(),
  }),
);

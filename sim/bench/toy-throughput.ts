/**
 * Raw throughput of the simulator's machinery with the toy workload (no protocol engine).
 * Usage: node --import tsx sim/bench/toy-throughput.ts [nodes=1000] [virtualSeconds=120] [seed=1]
 * Prints figures; never fails on time.
 */
import type { Address } from "@shoal/memberlist";
import { Simulator } from "../src/simulator.ts";
import { ToyApp, type ToyTotals } from "../src/toy-app.ts";

const nodes = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 120);
const seed = Number(process.argv[4] ?? 1);
const streams = process.argv[5] !== "nostreams";

const peers: Address[] = [];
const totals: ToyTotals = { datagramsReceived: 0, echoes: 0, dialFailures: 0 };
const sim = new Simulator<ToyApp>(
  {
    seed,
    trace: "events",
    batchWindowMs: Number(process.env.SIM_BATCH_MS ?? 0),
    replayCommand: `node --import tsx sim/bench/toy-throughput.ts ${nodes} ${seconds} ${seed}`,
  },
  (ctx) =>
    new ToyApp(
      ctx,
      peers,
      { intervalMs: 200, fanout: 3, payloadBytes: 64, streamIntervalMs: streams ? 5000 : 0 },
      totals,
    ),
);
for (let i = 0; i < nodes; i++) {
  const n = sim.addNode();
  peers.push({ host: n.ip, port: n.port });
}
const t0 = performance.now();
await sim.run(seconds * 1000);
const wall = (performance.now() - t0) / 1000;
const s = sim.stats;
console.log(
  JSON.stringify({
    nodes,
    virtualSeconds: seconds,
    wallSeconds: Number(wall.toFixed(2)),
    events: s.events,
    eventsPerWallSecond: Math.round(s.events / wall),
    drains: s.drains,
    datagramsReceived: totals.datagramsReceived,
    echoes: totals.echoes,
    dialFailures: totals.dialFailures,
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    trace: sim.traceHash(),
  }),
);

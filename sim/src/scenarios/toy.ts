/**
 * The toy workload as a scenario: the simulator's raw speed without the protocol engine.
 */
import type { Address } from "@shoal/memberlist";
import { lanLink } from "../link-profile.ts";
import { Simulator } from "../simulator.ts";
import { ToyApp, type ToyTotals } from "../toy-app.ts";

export interface ToyResult {
  nodes: number;
  virtualSeconds: number;
  wallSeconds: number;
  events: number;
  eventsPerWallSecond: number;
  datagramsReceived: number;
  trace: string;
}

/** Every node sends a 64-byte datagram to 3 random peers every 200 ms, and an echo stream every 5 s. */
export async function runToy(o: {
  nodes: number;
  seconds: number;
  seed: number;
  loss: number;
  replayCommand: string;
}): Promise<ToyResult> {
  const peers: Address[] = [];
  const totals: ToyTotals = { datagramsReceived: 0, echoes: 0, dialFailures: 0 };
  const sim = new Simulator<ToyApp>(
    { seed: o.seed, link: { ...lanLink(), loss: o.loss }, replayCommand: o.replayCommand },
    (ctx) =>
      new ToyApp(
        ctx,
        peers,
        { intervalMs: 200, fanout: 3, payloadBytes: 64, streamIntervalMs: 5000 },
        totals,
      ),
  );
  for (let i = 0; i < o.nodes; i++) {
    const n = sim.addNode();
    peers.push({ host: n.ip, port: n.port });
  }
  const t0 = performance.now();
  await sim.run(o.seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  return {
    nodes: o.nodes,
    virtualSeconds: o.seconds,
    wallSeconds: wall,
    events: sim.stats.events,
    eventsPerWallSecond: sim.stats.events / wall,
    datagramsReceived: totals.datagramsReceived,
    trace: sim.traceHash(),
  };
}

/**
 * Three members on this machine: one with metadata, all joined into one cluster. They list the
 * members, exchange a message, and on Ctrl-C (SIGINT) leave gracefully and exit.
 *
 *   node --import tsx packages/memberlist/examples/three-nodes.ts
 */
import { defaultLocalConfig, Memberlist } from "@shoal/memberlist";

async function startNode(name: string, meta?: string): Promise<Memberlist> {
  const node = await Memberlist.create({
    ...defaultLocalConfig(),
    name,
    bindAddr: "127.0.0.1",
    bindPort: 0, // any free port
    delegate: meta ? { nodeMeta: () => Buffer.from(meta) } : {},
  });
  node.on("join", (n) => console.log(`[${name}] ${n.name} joined (${n.addr}:${n.port})`));
  node.on("leave", (n) => console.log(`[${name}] ${n.name} ${n.state === "left" ? "left" : "failed"}`));
  node.on("message", (m) => console.log(`[${name}] message: ${Buffer.from(m).toString()}`));
  return node;
}

const alpha = await startNode("alpha", JSON.stringify({ role: "seed", zone: "local" }));
const beta = await startNode("beta");
const gamma = await startNode("gamma");
const seed = `${alpha.localNode.addr}:${alpha.localNode.port}`;
await beta.join([seed]);
await gamma.join([seed]);

// Membership spreads by gossip; a moment later every node lists every node.
await new Promise((r) => setTimeout(r, 500));
for (const node of [alpha, beta, gamma]) {
  const list = node.members().map((m) => `${m.name}${m.meta.length ? ` ${Buffer.from(m.meta)}` : ""}`);
  console.log(`${node.localNode.name} sees ${node.numMembers()} members: ${list.join(", ")}`);
}
const gammaSeenByBeta = beta.members().find((m) => m.name === "gamma");
if (gammaSeenByBeta) await beta.sendReliable(gammaSeenByBeta, Buffer.from("hello from beta"));

console.log("Cluster running. Press Ctrl-C to leave gracefully.");
process.once("SIGINT", async () => {
  console.log("\nLeaving...");
  for (const node of [gamma, beta, alpha]) {
    await node.leave(2000).catch((err: Error) => console.error(`leave: ${err.message}`));
    await node.shutdown();
  }
  process.exit(0);
});

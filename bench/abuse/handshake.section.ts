/**
 * Junk on the replication plane: a node with a cluster key holds 300 replication handshakes that
 * never finish (upgrade, then silence or garbage), and a legitimate peer with the key joins. The
 * figure is how long that peer waits until its replication link to the node is up, beside the same
 * join with no junk (goal: under 1 s).
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { startShoal } from "./shoal-node.ts";

const JUNK = 300;

interface Status {
  replication: { peer: string; connected: boolean }[];
}

async function status(base: string): Promise<Status | null> {
  try {
    const res = await fetch(`${base}/status`);
    return res.ok ? ((await res.json()) as Status) : null;
  } catch {
    return null;
  }
}

/** Opens a replication upgrade and then sends nothing (odd ones) or a garbage frame (even ones). */
function junkHandshake(port: number, i: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(
        "GET /_shoal/replication HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: shoal-replication/2\r\n\r\n",
      );
      if (i % 2 === 0) s.write(Buffer.concat([Buffer.from([0, 0, 0, 64]), randomBytes(64)]));
      resolve(s);
    });
    s.on("error", () => resolve(s));
  });
}

/** Starts a peer with `key` joining `seedGossip`; ms from its start until its link to `target` is up. */
async function admit(key: string, seedGossip: number, target: string): Promise<number> {
  const peer = await startShoal([
    "--node.name",
    `peer-${randomBytes(3).toString("hex")}`,
    "--gossip.profile",
    "local",
    "--gossip.secretKey",
    key,
    "--gossip.hosts",
    `127.0.0.1:${seedGossip}`,
  ]);
  const started = performance.now();
  try {
    for (;;) {
      const s = await status(peer.base);
      if (s?.replication.some((l) => l.peer === target && l.connected)) return performance.now() - started;
      if (performance.now() - started > 30_000) return Number.POSITIVE_INFINITY;
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await peer.stop();
  }
}

export default async function handshake(): Promise<void> {
  const key = randomBytes(32).toString("base64");
  const node = await startShoal([
    "--node.name",
    "keyed",
    "--gossip.profile",
    "local",
    "--gossip.secretKey",
    key,
    "--gossip.port",
    "0",
  ]);
  try {
    const gossipPort = await gossipPortOf(node.base);
    const quiet = await admit(key, gossipPort, "keyed");
    const sockets = await Promise.all(Array.from({ length: JUNK }, (_, i) => junkHandshake(node.port, i)));
    const open = sockets.filter((s) => !s.destroyed).length;
    const underJunk = await admit(key, gossipPort, "keyed");
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    for (const s of sockets) s.destroy();
    console.log(
      `junk replication handshakes attempted: ${JUNK} (open right after: ${open}, when the peer was in: ${stillOpen})`,
    );
    console.log(`legitimate peer admitted (its link to the keyed node up), no junk: ${quiet.toFixed(0)} ms`);
    console.log(
      `legitimate peer admitted while ${JUNK} junk handshakes were attempted: ${underJunk.toFixed(0)} ms (goal < 1000 ms)`,
    );
    console.log(`node alive: ${node.alive()}, RSS ${(node.rss() / 1048576).toFixed(0)} MB`);
  } finally {
    await node.stop();
  }
}

async function gossipPortOf(base: string): Promise<number> {
  const res = await fetch(`${base}/status`);
  const s = (await res.json()) as { gossip: { nodes: { name: string; gossip_addr: string }[] } };
  const me = s.gossip.nodes.find((n) => n.name === "keyed")!;
  return Number(me.gossip_addr.slice(me.gossip_addr.lastIndexOf(":") + 1));
}

/**
 * A peer restarted 100 times (same name, same ports; half graceful stops, half abrupt ones) next
 * to two real `shoal start` processes: every incarnation replicates both ways, and afterwards each
 * stable node holds exactly one inbound link per other member — none left behind by the dead
 * incarnations (issue 10: they stayed half-closed, and after 256 the node refused every link).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseStartArgs } from "../src/cli.ts";
import { silentLogger } from "../src/log.ts";
import { type ShoalNode, startShoalNode } from "../src/node.ts";
import { type ShoalProcess, spawnShoal } from "./cli-helpers.ts";
import { httpJson, SseClient, waitFor } from "./helpers.ts";

const RESTARTS = Number(process.env.SHOAL_PEER_RESTARTS ?? 100);
const COMMON = ["--gossip.profile", "local"];

const procs: ShoalProcess[] = [];
let peer: ShoalNode | null = null;
after(async () => {
  await peer?.stop().catch(() => {});
  for (const p of procs) if (!p.exited) p.proc.kill("SIGKILL");
});

async function text(p: ShoalProcess, path: string): Promise<string> {
  const res = await fetch(`${p.base}${path}`);
  return res.text();
}

/** Open inbound replication links and member count, from `/metrics` and `/status`. */
async function links(p: ShoalProcess): Promise<{ inbound: number; members: number }> {
  const metrics = await text(p, "/metrics");
  const m = /^shoal_replication_inbound_links(?:\{[^}]*\})? (\d+)/m.exec(metrics);
  const status = JSON.parse(await text(p, "/status")) as { gossip: { member_count: number } };
  return { inbound: m === null ? -1 : Number(m[1]), members: status.gossip.member_count };
}

async function waitForAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stops a node as a crash would: no leave, no waiting for acknowledgements. */
async function crash(node: ShoalNode): Promise<void> {
  node.server.close();
  if ("closeAllConnections" in node.server) node.server.closeAllConnections();
  await node.membership.shutdown().catch(() => {});
  await node.broker.close();
}

test(`a peer restarted ${RESTARTS} times: replication healthy, inbound links back to one per member`, async () => {
  const b = await spawnShoal("stable-b", COMMON);
  procs.push(b);
  const seed = `127.0.0.1:${b.gossipPort}`;
  const c = await spawnShoal("stable-c", [...COMMON, "--gossip.hosts", seed]);
  procs.push(c);
  const subB = await SseClient.open(b.base, "/channel/r");
  const subC = await SseClient.open(c.base, "/channel/r");
  await waitFor(
    () => subB.named("shoal-ready").length === 1 && subC.named("shoal-ready").length === 1,
    "ready",
  );

  let ports = { http: 0, gossip: 0 };
  const started = Date.now();
  for (let i = 0; i < RESTARTS; i++) {
    const parsed = parseStartArgs(
      [
        "--node.name",
        "restarting-peer",
        "--bind.addr",
        "127.0.0.1",
        "--gossip.port",
        String(ports.gossip),
        "--http.server.port",
        String(ports.http),
        "--gossip.hosts",
        seed,
        ...COMMON,
      ],
      {},
    );
    assert.ok("config" in parsed);
    const p = await startShoalNode(parsed.config, silentLogger);
    peer = p;
    ports = { http: p.httpPort, gossip: p.gossipPort };
    // Its events reach both stable nodes (its outbound links work)...
    const token = `restart-${i}`;
    await waitForAsync(async () => {
      // A pooled connection to the previous incarnation may fail once: then try again.
      const res = await httpJson(`http://127.0.0.1:${p.httpPort}`, "POST", "/channel/r", {
        data: token,
      }).catch(() => null);
      return res?.status === 200;
    }, `incarnation ${i} to accept a publish`);
    const got = (s: SseClient) => s.named().some((e) => e.data === token);
    await waitFor(() => got(subB) && got(subC), `incarnation ${i}'s event on b and c`);
    // ...and theirs reach it (b's and c's outbound links found the new incarnation).
    if (i % 10 === 0 || i === RESTARTS - 1) {
      const before = p.broker.hub.counters.received;
      await httpJson(b.base, "POST", "/channel/r", { data: `to-${i}` });
      await waitFor(() => p.broker.hub.counters.received > before, `b's event on incarnation ${i}`);
    }
    if (i === RESTARTS - 1) break; // the last incarnation stays up
    if (i % 2 === 0) await p.stop();
    else await crash(p);
    peer = null;
  }
  const wallMs = Date.now() - started;
  // Every stable node ends with one inbound link per other live member: none leaked.
  for (const s of [b, c]) {
    await waitForAsync(async () => {
      const l = await links(s);
      return l.members === 3 && l.inbound === l.members - 1;
    }, `${s.name}: inbound links back to one per member`).catch(async (err: Error) => {
      assert.fail(`${err.message}: ${JSON.stringify(await links(s))}`);
    });
  }
  process.stdout.write(`# ${RESTARTS} restarts in ${(wallMs / 1000).toFixed(1)} s\n`);
  subB.close();
  subC.close();
});

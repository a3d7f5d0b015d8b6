/**
 * The mixed-cluster scenario every Go version is run against: two Go and two Shoal nodes join each
 * other both ways, then metadata, push/pull user state, messages (reliable and best effort), a graceful
 * leave, SIGKILL detection both ways, and a restart that refutes its death.
 */
import assert from "node:assert/strict";
import {
  type ClusterNode,
  leaveOf,
  messageWith,
  type NodeKind,
  type NodeOptions,
} from "../lib/cluster-node.ts";

export type StartNode = (kind: NodeKind, opts: NodeOptions) => Promise<ClusterNode>;

export interface Variant {
  title: string;
  opts: Partial<NodeOptions>;
}

export const variants: Variant[] = [
  { title: "plaintext, compression on, protocol 2", opts: {} },
  {
    title: "AES-256, compression off, protocol 5 (CRC)",
    opts: { key: Buffer.alloc(32, 0x5a).toString("base64"), compression: false, protocol: 5 },
  },
];

/**
 * The longest a crash may take to be declared dead at a survivor, by memberlist's own rules for the
 * local preset: every survivor probes the victim within one full round of n probe intervals, the
 * probe itself takes one more interval, and the suspicion lasts at most SuspicionMaxTimeoutMult times
 * its minimum (suspicionMult * max(1, log10 n) * probeInterval). Lifeguard stretches every probe
 * interval by the prober's health score, up to AwarenessMaxMultiplier (8) times: a lone survivor
 * whose probes of the dead go unanswered, with nobody to nack, is exactly that case (it took 19-23 s
 * here against an unstretched bound of 24 s). Plus a second for gossip and CI load.
 */
export function detectionBoundMs(n: number): number {
  const probeInterval = 1000;
  const awarenessMaxMultiplier = 8;
  const min = 3 * Math.max(1, Math.log10(n)) * probeInterval;
  return (n + 1) * probeInterval * awarenessMaxMultiplier + 6 * min + 1000;
}

/**
 * The longest news gossiped once (an UpdateNode's alive, or a joiner's) may take to reach one node, by
 * memberlist's own rules for the local preset. Gossip is best-effort: each node that hears the news
 * sends it RetransmitMult * ceil(log10(n + 1)) = 2 times, to random peers, and then stops. In this
 * 4-node cluster the updater's two copies go to two of the three others and each of those sends its
 * two to two of its three peers (one being the updater), so the third misses every copy about one time
 * in 27. Measured: a node missed the news in 19 of 300 updates in this mixed cluster, and in 27 of 300
 * in a cluster of four v0.6 nodes, so Go does the same. The repair is push/pull: the node that missed
 * exchanges full state with a random peer (nearly always one with the news) every PushPullInterval
 * (15 s, unscaled below 33 nodes), the first time within two intervals of its start (Go staggers by up
 * to one interval, then waits a whole one); others' exchanges with it help too. Two intervals, plus a
 * second for CI load. The misses took up to 15.5 s to repair, past the 10 s this wait used to allow.
 */
export const gossipRepairBoundMs = 2 * 15_000 + 1000;

/**
 * A bound on one run of {@link mixedCluster}, so that a hang fails the test instead of blocking CI:
 * one takes about 45 s on a heavily loaded 2-core machine.
 */
export const scenarioTimeoutMs = 240_000;

export const names = (ms: { name: string }[]) => ms.map((m) => m.name).sort();

/**
 * Runs the scenario with Go nodes of `goKind`. The v0.6 oracle has no protocol flag: its nodes run
 * Go's default protocol (2) while the Shoal nodes run the variant's; both speak up to 5, so packets
 * between them carry the CRC either way.
 */
export async function mixedCluster(goKind: NodeKind, v: Variant, start: StartNode): Promise<void> {
  const goOpts = goKind === "go-latest" ? { ...v.opts, protocol: undefined } : v.opts;
  const tag = v.opts.key ? "e" : "p";
  const go1 = await start(goKind, {
    name: `go1${tag}`,
    meta: "go1-meta",
    localState: "go1-state",
    ...goOpts,
  });
  const ts1 = await start("shoal", {
    name: `ts1${tag}`,
    meta: "ts1-meta",
    localState: "ts1-state",
    ...v.opts,
  });
  const go2 = await start(goKind, { name: `go2${tag}`, ...goOpts });
  const ts2 = await start("shoal", { name: `ts2${tag}`, ...v.opts });
  const all = [go1, ts1, go2, ts2];
  const everyone = names(all);

  // A Shoal node joins a Go cluster, and a Go node joins through a Shoal node.
  assert.equal(await ts1.join([go1.addr]), 1);
  assert.equal(await go2.join([ts1.addr]), 1);
  assert.equal(await ts2.join([go2.addr]), 1);
  // go1 hears of go2 and ts2, and ts1 of ts2, only by gossip (no join talks to them): the same
  // best-effort path as a metadata update, with the same repair by push/pull.
  for (const n of all) await n.waitForMembers((m) => m.length === 4, gossipRepairBoundMs, "4 members");
  for (const n of all) assert.deepEqual(names(await n.members()), everyone, `${n.name} lists everyone`);

  // Metadata from the start, as each side sees the other.
  const onGo = await go2.members();
  assert.equal(onGo.find((m) => m.name === ts1.name)?.meta, "ts1-meta");
  const onTs = await ts2.members();
  assert.equal(onTs.find((m) => m.name === go1.name)?.meta, "go1-meta");

  // Push/pull user state was merged on join, both ways.
  const goMerged = await go1.waitForEvent(
    (e) => e.event === "merge-remote-state" && e.data === "ts1-state",
    5000,
    "ts state at go",
  );
  assert.equal(goMerged.join, true);
  const tsMerged = await ts1.waitForEvent(
    (e) => e.event === "merge-remote-state" && e.data === "go1-state",
    5000,
    "go state at ts",
  );
  assert.equal(tsMerged.join, true);

  // Metadata changed later, both directions.
  await ts1.updateMeta("ts1-v2");
  await go1.updateMeta("go1-v2");
  await go2.waitForMembers(
    (m) => m.find((x) => x.name === ts1.name)?.meta === "ts1-v2",
    gossipRepairBoundMs,
    "ts1-v2 at go2",
  );
  await ts2.waitForMembers(
    (m) => m.find((x) => x.name === go1.name)?.meta === "go1-v2",
    gossipRepairBoundMs,
    "go1-v2 at ts2",
  );

  // User messages, reliable and best-effort, both ways. (User broadcasts are checked in the
  // two-node tests: they are sent only a few times and never re-gossiped, so in a larger cluster
  // a particular node may rightly miss one.)
  for (const [from, to] of [
    [ts1, go1],
    [go1, ts1],
  ] as const) {
    const reliable = `reliable:${from.name}->${to.name}`;
    await from.sendReliable(to.name, reliable);
    await to.waitForEvent(messageWith(reliable), 10_000, reliable);
    const bestEffort = `best-effort:${from.name}->${to.name}`;
    await from.sendBestEffort(to.name, bestEffort);
    await to.waitForEvent(messageWith(bestEffort), 10_000, bestEffort);
  }

  // A graceful leave is a leave, not a failure. ts2 keeps running and answering probes until both
  // peers have dropped it, so failure detection has no cause to remove it: its goodbye does. (Go
  // reports only "leave" either way; Shoal records it as left, state 3, not dead.) Not timed: a
  // loaded machine may take seconds, and timing belongs in benchmarks.
  await ts2.leave(3000);
  await go1.waitForEvent(leaveOf(ts2.name), 15_000, "leave at go1");
  await ts1.waitForEvent(
    (e) => e.event === "leave" && (e.node as { name: string; state: number }).state === 3,
    15_000,
    "left at ts1",
  );
  await ts2.stop();

  // SIGKILL a Go node: every Shoal node declares it dead in time; then a Shoal node, seen by Go.
  // The size estimate n counts entries not yet reaped, so it stays 4 here.
  const t1 = Date.now();
  await go2.kill();
  await ts1.waitForEvent(leaveOf(go2.name), detectionBoundMs(4), "go2 dead at ts1");
  const goDetectMs = Date.now() - t1;

  const t2 = Date.now();
  await ts1.kill();
  await go1.waitForEvent(leaveOf(ts1.name), detectionBoundMs(4), "ts1 dead at go1");
  const tsDetectMs = Date.now() - t2;
  console.log(`[${v.title}] go2 dead at ts1 after ${goDetectMs} ms; ts1 dead at go1 after ${tsDetectMs} ms`);

  // A restarted Shoal node (same name and port) rejoins and refutes its death.
  const back = await start("shoal", { name: ts1.name, port: ts1.port, meta: "back", ...v.opts });
  assert.equal(await back.join([go1.addr]), 1);
  await go1.waitForMembers(
    (m) => m.some((x) => x.name === ts1.name && x.meta === "back"),
    15_000,
    "restarted ts1 at go1",
  );
  await Promise.all([go1.stop(), back.stop()]);
}

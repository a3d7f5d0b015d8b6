/**
 * Attacks on the gossip port of a real `shoal start` node (issue 10, "Partial frames" and
 * "Compression bombs over UDP"), with a second node watching it:
 *   (a) 32 TCP streams that announce a 20 MiB push/pull and never finish it: the attacked node's RSS
 *       above idle while they are open and after they end (goal: < 100 MB above idle);
 *   (b) 30 compression bombs a second for 10 s (31 KB datagrams that expand to 40 MiB): `/healthz`
 *       latency on the attacked node (goal: p99 < 50 ms), and whether the watcher suspected it.
 * Both nodes use the default (lan) gossip timing. Figures only, never pass or fail.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { compressMessage, encodePushPull, MessageType } from "@shoal/memberlist/wire";

const shoalBin = fileURLToPath(new URL("../../packages/broker/bin/shoal.js", import.meta.url));
const MiB = 1024 * 1024;

interface Node {
  name: string;
  proc: ChildProcess;
  http: number;
  gossip: number;
  /** Every line the node wrote to stderr/stdout. */
  lines: string[];
}

/** A port free for both TCP and UDP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket("udp4");
      u.once("error", () => resolve(false));
      u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

async function startNode(name: string, join?: Node): Promise<Node> {
  const http = await freePort();
  const gossip = await freePort();
  const args = [
    shoalBin,
    "start",
    "--node.name",
    name,
    "--bind.addr",
    "127.0.0.1",
    "--http.server.port",
    String(http),
    "--gossip.port",
    String(gossip),
    "--log.level",
    "info",
    "--log.format",
    "json",
  ];
  if (join) args.push("--gossip.hosts", `127.0.0.1:${join.gossip}`);
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const node: Node = { name, proc, http, gossip, lines: [] };
  for (const s of [proc.stdout!, proc.stderr!]) {
    let rest = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      const parts = (rest + d).split("\n");
      rest = parts.pop() ?? "";
      node.lines.push(...parts);
    });
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited: ${node.lines.slice(-5).join("\n")}`);
    if (Date.now() > deadline) throw new Error(`${name} did not answer /healthz in 30 s`);
    const ok = await fetch(`http://127.0.0.1:${http}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return node;
    await sleep(100);
  }
}

async function stopNode(n: Node): Promise<void> {
  if (n.proc.exitCode !== null) return;
  const exited = new Promise((r) => n.proc.once("exit", r));
  n.proc.kill("SIGTERM");
  const forced = setTimeout(() => n.proc.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(forced);
}

/** Resident set size of a process, MB (Linux /proc). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function memberState(watcher: Node, name: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${watcher.http}/status`);
  const body = (await res.json()) as { gossip?: { nodes?: { name: string; state: string }[] } };
  return body.gossip?.nodes?.find((m) => m.name === name)?.state;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Opens `count` streams that each announce a 20 MiB push/pull and send `send` bytes of it. */
async function partialFrames(target: Node, count: number, send: number): Promise<Socket[]> {
  const full = encodePushPull({ join: false, nodes: [], userState: new Uint8Array(20 * MiB - 64) });
  const prefix = full.subarray(0, Math.min(send, full.length - 1));
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const s = connect({ host: "127.0.0.1", port: target.gossip });
    s.on("error", () => {});
    s.resume();
    await new Promise<void>((resolve) => {
      s.once("connect", resolve);
      s.once("close", () => resolve());
    });
    s.write(prefix);
    sockets.push(s);
  }
  return sockets;
}

/** Samples RSS every 50 ms while the attack runs; returns the peak. */
async function watchRss(pid: number, until: () => boolean, maxMs: number): Promise<number> {
  let peak = 0;
  const end = Date.now() + maxMs;
  while (!until() && Date.now() < end) {
    peak = Math.max(peak, rssMb(pid));
    await sleep(50);
  }
  return Math.max(peak, rssMb(pid));
}

async function partialFrameAttack(a: Node, label: string, send: number): Promise<void> {
  const pid = a.proc.pid!;
  await sleep(1000);
  const idle = rssMb(pid);
  const started = performance.now();
  const sockets = await partialFrames(a, 32, send);
  const closedByNode = () => sockets.every((s) => s.destroyed || s.closed);
  // The node's tcpTimeout (10 s with lan timing) ends every unfinished stream.
  const peak = await watchRss(pid, closedByNode, 20_000);
  const heldMs = performance.now() - started;
  const allClosed = closedByNode();
  for (const s of sockets) s.destroy();
  await sleep(2000);
  const after = rssMb(pid);
  console.log(
    `(a) 32 partial frames, 20 MiB announced, ${label}: RSS idle ${idle.toFixed(0)} MB, ` +
      `peak ${peak.toFixed(0)} MB (+${(peak - idle).toFixed(0)} MB, goal < +100), ` +
      `${(after - idle).toFixed(0)} MB above idle 2 s after they ended; ` +
      `${allClosed ? `the node closed all 32 within ${(heldMs / 1000).toFixed(1)} s` : "not all closed by the node in 20 s"}`,
  );
}

async function bombAttack(a: Node, b: Node): Promise<void> {
  const bomb = (() => {
    const msg = new Uint8Array(40 * MiB + 1);
    msg[0] = MessageType.User;
    return compressMessage(msg);
  })();
  const udp = createSocket("udp4");
  const linesBefore = { a: a.lines.length, b: b.lines.length };
  const latencies: number[] = [];
  const states = new Set<string>();
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      const t = performance.now();
      await fetch(`http://127.0.0.1:${a.http}/healthz`).then((r) => r.arrayBuffer());
      latencies.push(performance.now() - t);
      await sleep(20);
    }
  })();
  const watch = (async () => {
    while (!stop) {
      states.add((await memberState(b, a.name)) ?? "unknown");
      await sleep(100);
    }
  })();
  const seconds = 10;
  const perSecond = 30;
  let sent = 0;
  const t0 = performance.now();
  for (let i = 0; i < seconds * perSecond; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    udp.send(bomb, a.gossip, "127.0.0.1");
    sent++;
  }
  // Let a suspicion that started late in the attack show up.
  await sleep(3000);
  stop = true;
  await Promise.all([poll, watch]);
  udp.close();
  latencies.sort((x, y) => x - y);
  const aLines = a.lines.slice(linesBefore.a);
  const bLines = b.lines.slice(linesBefore.b);
  const suspectLines = bLines.filter((l) => /suspect/i.test(l)).length;
  const refutations = aLines.filter((l) => /refuting/i.test(l)).length;
  const warnLines = aLines.filter((l) => /"level":"warn"/.test(l)).length;
  console.log(
    `(b) ${sent} compression bombs (${bomb.length} B each, 40 MiB expanded) at ${perSecond}/s for ${seconds} s: ` +
      `/healthz p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
      `(goal < 50), max ${latencies.at(-1)?.toFixed(1)} ms over ${latencies.length} requests`,
  );
  console.log(
    `    watcher saw the attacked node as: ${[...states].join(", ")}; suspicion log lines on the watcher: ` +
      `${suspectLines}, refutations by the attacked node: ${refutations}; ` +
      `warning lines written by the attacked node meanwhile: ${warnLines} (junk warnings are rate-limited)`,
  );
}

export default async function gossipSection(): Promise<void> {
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`load average at start: ${load} (2 cores shared; figures are noisy)`);
  const a = await startNode("attacked");
  let b: Node | undefined;
  try {
    b = await startNode("watcher", a);
    const deadline = Date.now() + 30_000;
    while ((await memberState(b, a.name)) !== "alive") {
      if (Date.now() > deadline) throw new Error("the two nodes did not form a cluster in 30 s");
      await sleep(100);
    }
    await partialFrameAttack(a, "64 KiB sent each", 64 * 1024);
    await partialFrameAttack(a, "all but the last byte sent each", 20 * MiB);
    await bombAttack(a, b);
  } finally {
    await Promise.all([stopNode(a), b ? stopNode(b) : Promise.resolve()]);
  }
}

/**
 * bench:cluster — N Shoal nodes and N Go memberlist nodes (Debian's 0.2.2), each a process on loopback
 * with the local preset, measured side by side:
 *  - convergence: from the joins until every node has reported every member's join;
 *  - detection: from SIGKILL of one node until every survivor has declared it dead;
 *  - idle cost: CPU time and RSS per node process over an idle window (first trial only).
 * Convergence and detection are medians over `--trials` fresh clusters: one draw of a gossip
 * protocol's timing is mostly noise.
 *
 *   npm run bench:cluster -- [--sizes 10,32] [--idle 60] [--trials 3]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ClusterNode, type NodeKind } from "../interop/lib/cluster-node.ts";
import { buildInteropBinaries } from "../interop/lib/go.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,32" },
    idle: { type: "string", default: "60" },
    trials: { type: "string", default: "3" },
  },
});
const trials = Math.max(1, Number(values.trials));
const sizes = values.sizes!.split(",").map(Number);
const idleSeconds = Number(values.idle);
const clockTicks = 100; // USER_HZ on Linux

function procStats(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: ((utime + stime) * 1000) / clockTicks, rssMb: rssKb / 1024 };
}

interface Result {
  kind: NodeKind;
  n: number;
  convergeMs: number;
  detectMs: number;
  idleCpuMsPerSec: number;
  rssMb: number;
}

async function runOne(kind: NodeKind, n: number, goBinary: string, measureIdle: boolean): Promise<Result> {
  const nodes: ClusterNode[] = [];
  try {
    for (let i = 0; i < n; i++)
      nodes.push(await ClusterNode.start(kind, { name: `${kind}-${n}-${i}` }, goBinary));
    const seed = nodes[0]!;
    const t0 = performance.now();
    // 31 simultaneous joins can miss the local preset's 1 s TCP deadline on 2 busy cores (Go's too):
    // a failed join is retried, as an operator or orchestrator would.
    const joinWithRetry = async (node: ClusterNode) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await node.join([seed.addr]);
        } catch (err) {
          if (attempt >= 5) throw err;
        }
      }
    };
    // Converged when every node has reported a join event for every member: event-driven, so the
    // figure is not rounded up to a polling interval.
    const names = nodes.map((node) => node.name);
    const isJoinOf = (name: string) => (e: { event: string; node?: unknown }) =>
      e.event === "join" && (e.node as { name?: string } | undefined)?.name === name;
    const converged = Promise.all(
      nodes.flatMap((node) =>
        names.map((name) => node.waitForEvent(isJoinOf(name), 120_000, `join of ${name}`)),
      ),
    );
    await Promise.all(nodes.slice(1).map(joinWithRetry));
    await converged;
    const convergeMs = performance.now() - t0;
    await Promise.all(
      nodes.map((node) => node.waitForMembers((m) => m.length === n, 30_000, `${n} members`)),
    );

    // Idle window: every node converged, nothing happening but the protocol itself.
    const before = nodes.map((node) => procStats(node.pid));
    await new Promise((r) => setTimeout(r, measureIdle ? idleSeconds * 1000 : 0));
    const afterIdle = nodes.map((node) => procStats(node.pid));
    const cpu = afterIdle.map((a, i) => (a.cpuMs - before[i]!.cpuMs) / Math.max(idleSeconds, 1e-9));
    const idleCpuMsPerSec = cpu.reduce((x, y) => x + y, 0) / cpu.length;
    const rssMb = afterIdle.reduce((x, y) => x + y.rssMb, 0) / afterIdle.length;

    const victim = nodes[n - 1]!;
    const survivors = nodes.slice(0, n - 1);
    const t1 = performance.now();
    await victim.kill();
    await Promise.all(
      survivors.map((s) =>
        s.waitForEvent(
          (e) => e.event === "leave" && (e.node as { name: string }).name === victim.name,
          180_000,
          "victim dead",
        ),
      ),
    );
    const detectMs = performance.now() - t1;
    return { kind, n, convergeMs, detectMs, idleCpuMsPerSec, rssMb };
  } finally {
    await Promise.all(nodes.map((node) => node.kill()));
  }
}

/**
 * Shoal nodes run from compiled JavaScript, as in production, so that the figures are the library's and
 * not those of the TypeScript loader used in tests.
 */
function compileShoalNode(): string {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = `${root}.tmp/bench-node`;
  const tsc = `${root}node_modules/.bin/tsc`;
  execFileSync(tsc, ["-b", "packages/memberlist"], { cwd: root, stdio: "inherit" });
  execFileSync(
    tsc,
    [
      "--ignoreConfig",
      "--outDir",
      out,
      "--rootDir",
      "interop/node",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--skipLibCheck",
      "--types",
      "node",
      "--allowImportingTsExtensions",
      "--rewriteRelativeImportExtensions",
      "interop/node/shoal-node.ts",
    ],
    { cwd: root, stdio: "inherit" },
  );
  return `${out}/shoal-node.js`;
}

process.env.SHOAL_NODE_JS = compileShoalNode();
const bins = await buildInteropBinaries();
if (!bins) {
  console.error("bench:cluster needs Go and Debian's golang-github-hashicorp-memberlist-dev (see README).");
  process.exit(1);
}
console.log(
  `bench:cluster — local preset, loopback, idle window ${idleSeconds} s, ${new Date().toISOString()}`,
);
for (const n of sizes) {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const runMany = async (kind: NodeKind): Promise<Result> => {
    const runs: Result[] = [];
    for (let t = 0; t < trials; t++) runs.push(await runOne(kind, n, bins.gonode, t === 0));
    const first = runs[0]!;
    return {
      ...first,
      convergeMs: median(runs.map((r) => r.convergeMs)),
      detectMs: median(runs.map((r) => r.detectMs)),
    };
  };
  const go = await runMany("go");
  const ts = await runMany("shoal");
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "n/a");
  const rows = [
    `| ${n} | converge | ${ts.convergeMs.toFixed(0)} ms | ${go.convergeMs.toFixed(0)} ms | ${ratio(ts.convergeMs, go.convergeMs)} |`,
    `| ${n} | detect (all survivors) | ${ts.detectMs.toFixed(0)} ms | ${go.detectMs.toFixed(0)} ms | ${ratio(ts.detectMs, go.detectMs)} |`,
    `| ${n} | idle CPU per node | ${ts.idleCpuMsPerSec.toFixed(2)} ms/s | ${go.idleCpuMsPerSec.toFixed(2)} ms/s | ${ratio(ts.idleCpuMsPerSec, go.idleCpuMsPerSec)} |`,
    `| ${n} | RSS per node | ${ts.rssMb.toFixed(1)} MB | ${go.rssMb.toFixed(1)} MB | ${ratio(ts.rssMb, go.rssMb)} |`,
  ];
  for (const r of rows) console.log(r);
}

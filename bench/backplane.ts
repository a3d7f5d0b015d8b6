/**
 * Backplane benchmark: the Redis Streams backplane beside the cluster mesh, in the same run.
 *
 *   npm run bench:backplane [-- --quick] [--only=latency,interest,restart] [--perNode=10]
 *
 * latency:  3 brokers (+ Redis), subscribers on each, 1,000 events/s published round-robin:
 *           cross-node publish-to-deliver p50/p99, broker CPU per delivery (and Redis CPU per event).
 * interest: 10 brokers, subscribers of the channel on 2 of them, events published on one of those:
 *           events and bytes the other 8 receive (mesh: N-1 copies; goal with Redis: 0).
 *           Bytes are what the broker process read from sockets and files (/proc/self/io rchar).
 * restart:  subscribe, note the last id, stop every broker, start new ones, publish more, resume
 *           the client from its id on another node: exact (nothing missing, nothing twice, no reset)?
 *
 * Brokers run in child processes (this file with --role=server), so their CPU time is theirs alone;
 * redis-server (Debian's) is started on a free loopback port with a temp dir and stopped after.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { RedisServer, redisMissing } from "../packages/broker/test/redis-server.ts";
import { ChildServer, until } from "./lib/child-server.ts";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
const nowMs = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- server role (child process)

type Mode = "mesh" | "redis";
type ServerCommand =
  | { cmd: "start"; index: number; mode: Mode; peers: { name: string; port: number }[]; redis: string }
  | { cmd: "publish"; channel: string; events: number; perSec: number; pad: number }
  | { cmd: "mark" }
  | { cmd: "stats" };

/** Bytes this process read (sockets and files), from /proc; 0 where /proc is absent. */
function rchar(): number {
  try {
    const m = /^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

async function serverRole(): Promise<void> {
  const { createBroker, StaticCluster } = await import("@shoal/broker");
  type Broker = ReturnType<typeof createBroker>;
  let broker: Broker | null = null;
  let index = 0;
  let seq = 0;
  let cpuMark = process.cpuUsage();
  let readMark = rchar();
  let failed = 0;
  const server = createServer((req, res) => {
    if (!broker?.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  server.requestTimeout = 0;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  process.send!({ type: "listening", port });
  process.on("message", async (msg: ServerCommand) => {
    if (msg.cmd === "start") {
      index = msg.index;
      const registry = new StaticCluster();
      let membership: ReturnType<InstanceType<typeof StaticCluster>["join"]> | undefined;
      for (const p of msg.peers) {
        const m = registry.join(p.name, `127.0.0.1:${p.port}`);
        if (p.port === port) membership = m;
      }
      broker = createBroker({
        heartbeatMs: 15_000,
        maxBufferBytes: 4 * 1024 * 1024,
        // Every subscriber here comes from 127.0.0.1: lift the per-address and total stream limits.
        maxStreams: 1_000_000,
        maxStreamsPerAddress: 1_000_000,
        historyMaxEvents: 10_000,
        ...(membership ? { membership } : {}),
        ...(msg.mode === "redis" ? { backplane: msg.redis } : {}),
      });
      broker.attach(server);
      const b = broker;
      const deadline = Date.now() + 10_000;
      while (b.backplane !== null && b.backplane.status().state !== "up" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      process.send!({ type: "started" });
    } else if (msg.cmd === "publish") {
      const b = broker!;
      const pad = "p".repeat(msg.pad);
      const start = performance.now();
      let sent = 0;
      const inflight = new Set<Promise<unknown>>();
      const tick = () => {
        const due = Math.min(msg.events, Math.floor(((performance.now() - start) / 1000) * msg.perSec) + 1);
        while (sent < due) {
          sent++;
          seq++;
          const data = `{"o":${index},"s":${seq},"t":${nowMs()},"p":"${pad}"}`;
          // Not awaited one by one: in Redis mode they pipeline on one connection, in order.
          const p = b.accept({ channel: msg.channel, data }).catch(() => {
            failed++;
          });
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        }
        const nextAt = start + (sent / msg.perSec) * 1000;
        if (sent < msg.events) setTimeout(tick, Math.max(0, nextAt - performance.now()));
        else
          void Promise.all(inflight).then(() => process.send!({ type: "published", events: sent, failed }));
      };
      tick();
    } else if (msg.cmd === "mark") {
      cpuMark = process.cpuUsage();
      readMark = rchar();
      process.send!({ type: "marked" });
    } else if (msg.cmd === "stats") {
      const cpu = process.cpuUsage(cpuMark);
      const bp = broker?.backplane?.status() ?? null;
      process.send!({
        type: "stats",
        cpuMs: (cpu.user + cpu.system) / 1000,
        delivered: broker?.hub.counters.delivered ?? 0,
        // Events of other nodes that reached this one: over the mesh, or read from Redis.
        received: bp === null ? (broker?.hub.counters.received ?? 0) : bp.eventsRead,
        bytesRead: rchar() - readMark,
      });
    }
  });
}

// ---------------------------------------------------------------- client role (this process)

type Broker = ChildServer<ServerCommand>;

async function cluster(n: number, mode: Mode, redis: string): Promise<Broker[]> {
  const brokers = await Promise.all(
    Array.from({ length: n }, () =>
      ChildServer.spawn<ServerCommand>(fileURLToPath(import.meta.url), [
        "--conditions=development",
        "--import",
        "tsx",
      ]),
    ),
  );
  const peers = brokers.map((b, i) => ({ name: `n${i}`, port: b.port }));
  await Promise.all(brokers.map((b, i) => b.call({ cmd: "start", index: i, mode, peers, redis }, "started")));
  if (mode === "mesh") await new Promise((r) => setTimeout(r, 500)); // replication links connect
  return brokers;
}

/** One raw-socket subscriber: counts events, checks per-origin continuity, records latency. */
class Sub {
  received = 0;
  dup = 0;
  ooo = 0;
  ready = false;
  resets = 0;
  lastId = "";
  readonly data: string[] = [];
  readonly last = new Map<number, number>();
  private rest = "";
  constructor(
    readonly node: number,
    readonly socket: Socket,
    private readonly latencies: number[] | null,
    private readonly cross: number[] | null,
    private readonly keep = false,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.feed(chunk));
    socket.on("error", () => {});
  }
  private feed(chunk: string): void {
    const text = this.rest + chunk;
    let pos = 0;
    for (;;) {
      const end = text.indexOf("\n\n", pos);
      if (end < 0) break;
      const block = text.slice(pos, end);
      pos = end + 2;
      const id = /(?:^|\n)id: ([^\n]*)/.exec(block);
      if (id !== null) this.lastId = id[1]!;
      if (/(?:^|\n)event: reset/.test(block)) this.resets++;
      const m = /(?:^|\n)data: (\{"o":(\d+),"s":(\d+),"t":([\d.]+)[^\n]*)/.exec(block);
      if (m === null) {
        if (block.includes("shoal-ready")) this.ready = true;
        continue;
      }
      const o = Number(m[2]);
      const s = Number(m[3]);
      const prev = this.last.get(o) ?? 0;
      if (s === prev + 1 || prev === 0) this.last.set(o, s);
      else if (s <= prev) this.dup++;
      else {
        this.ooo++;
        this.last.set(o, s);
      }
      this.received++;
      if (this.keep) this.data.push(`${o}:${s}`);
      const lat = nowMs() - Number(m[4]);
      this.latencies?.push(lat);
      if (o !== this.node) this.cross?.push(lat);
    }
    this.rest = text.slice(pos);
  }
}

async function subscribe(
  port: number,
  node: number,
  channel: string,
  count: number,
  latencies: number[] | null,
  cross: number[] | null,
  options: { keep?: boolean; lastEventId?: string } = {},
): Promise<Sub[]> {
  const subs = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Sub>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => {
            const resume = options.lastEventId ? `Last-Event-ID: ${options.lastEventId}\r\n` : "";
            socket.write(
              `GET /channel/${channel} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n${resume}\r\n`,
            );
            resolve(new Sub(node, socket, latencies, cross, options.keep ?? false));
          });
          socket.once("error", reject);
        }),
    ),
  );
  await until(() => subs.every((s) => s.ready), 30_000);
  return subs;
}

function percentile(values: number[], p: number): string {
  if (values.length === 0) return "–";
  const sorted = Float64Array.from(values).sort();
  return `${sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1)} ms`;
}

/** CPU ms (user + system) of a process so far, from /proc; 0 where absent. */
function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- scenarios

async function latency(redis: RedisServer, mode: Mode, perNode: number, seconds: number): Promise<void> {
  const brokers = await cluster(3, mode, redis.url);
  try {
    const latencies: number[] = [];
    const cross: number[] = [];
    const subs: Sub[] = [];
    for (const [i, b] of brokers.entries())
      subs.push(...(await subscribe(b.port, i, "bench", perNode, latencies, cross)));
    await Promise.all(brokers.map((b) => b.call({ cmd: "mark" }, "marked")));
    const redisCpu0 = procCpuMs(redis.pid);
    const perSec = 1000;
    const eventsPerNode = Math.round((perSec / 3) * seconds);
    const t0 = performance.now();
    const published = await Promise.all(
      brokers.map((b) =>
        b.call(
          { cmd: "publish", channel: "bench", events: eventsPerNode, perSec: perSec / 3, pad: 64 },
          "published",
        ),
      ),
    );
    const expected = subs.length * eventsPerNode * 3;
    await until(() => subs.reduce((n, s) => n + s.received, 0) >= expected, 60_000);
    const wall = performance.now() - t0;
    const stats = await Promise.all(brokers.map((b) => b.call({ cmd: "stats" }, "stats")));
    const redisCpu = procCpuMs(redis.pid) - redisCpu0;
    const delivered = stats.reduce((n, s) => n + Number(s.delivered), 0);
    const cpuMs = stats.reduce((n, s) => n + Number(s.cpuMs), 0);
    let lost = 0;
    for (const s of subs) for (let o = 0; o < 3; o++) lost += eventsPerNode - (s.last.get(o) ?? 0);
    rows.push({
      scenario: `latency, 3 brokers, ${perSec} ev/s`,
      mode,
      subscribers: subs.length,
      events: eventsPerNode * 3,
      deliveries: delivered,
      "cross p50": percentile(cross, 50),
      "cross p99": percentile(cross, 99),
      "all p99": percentile(latencies, 99),
      "broker CPU/delivery": `${((cpuMs * 1000) / delivered).toFixed(1)} µs`,
      "lost/dup/ooo": `${lost}/${subs.reduce((n, s) => n + s.dup, 0)}/${subs.reduce((n, s) => n + s.ooo, 0)}`,
      extra:
        mode === "redis"
          ? `Redis CPU ${((redisCpu * 1000) / (eventsPerNode * 3)).toFixed(0)} µs/event (10 ms ticks); ${published.reduce((n, p) => n + Number(p.failed), 0)} publishes refused; ${(wall / 1000).toFixed(1)} s`
          : `${(wall / 1000).toFixed(1)} s`,
    });
    for (const s of subs) s.socket.destroy();
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
}

async function interest(redis: RedisServer, mode: Mode, events: number): Promise<void> {
  const brokers = await cluster(10, mode, redis.url);
  try {
    const subs: Sub[] = [];
    for (const i of [0, 1]) subs.push(...(await subscribe(brokers[i]!.port, i, "hot", 5, null, null)));
    await Promise.all(brokers.map((b) => b.call({ cmd: "mark" }, "marked")));
    await brokers[0]!.call({ cmd: "publish", channel: "hot", events, perSec: 1000, pad: 200 }, "published");
    await until(() => subs.every((s) => s.received >= events), 30_000);
    if (mode === "mesh") await new Promise((r) => setTimeout(r, 300)); // replication to idle peers settles
    const stats = await Promise.all(brokers.map((b) => b.call({ cmd: "stats" }, "stats")));
    const others = stats.slice(2);
    const received = others.reduce((n, s) => n + Number(s.received), 0);
    const bytes = others.reduce((n, s) => n + Number(s.bytesRead), 0);
    rows.push({
      scenario: `interest, 10 brokers, subscribers on 2, ${events} events`,
      mode,
      subscribers: subs.length,
      events,
      deliveries: stats.reduce((n, s) => n + Number(s.delivered), 0),
      "cross p50": "",
      "cross p99": "",
      "all p99": "",
      "broker CPU/delivery": "",
      "lost/dup/ooo": `${subs.reduce((n, s) => n + events - s.received, 0)}/${subs.reduce((n, s) => n + s.dup, 0)}/${subs.reduce((n, s) => n + s.ooo, 0)}`,
      extra: `other 8 received ${received} events (${(received / 8).toFixed(0)} each), read ${(bytes / 1024).toFixed(0)} KiB (${(bytes / 8 / 1024).toFixed(0)} KiB each)`,
    });
    for (const s of subs) s.socket.destroy();
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
}

async function restart(redis: RedisServer, mode: Mode): Promise<void> {
  const channel = `restart-${mode}`;
  let brokers = await cluster(3, mode, redis.url);
  let cursor = "";
  let resumed: Sub;
  try {
    const [first] = await subscribe(brokers[0]!.port, 0, channel, 1, null, null, { keep: true });
    await brokers[1]!.call({ cmd: "publish", channel, events: 300, perSec: 2000, pad: 16 }, "published");
    await until(() => first!.received >= 300, 10_000);
    cursor = first!.lastId;
    first!.socket.destroy();
    await brokers[1]!.call({ cmd: "publish", channel, events: 200, perSec: 2000, pad: 16 }, "published");
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
  brokers = await cluster(3, mode, redis.url);
  try {
    await brokers[2]!.call({ cmd: "publish", channel, events: 100, perSec: 2000, pad: 16 }, "published");
    [resumed] = (await subscribe(brokers[1]!.port, 1, channel, 1, null, null, {
      keep: true,
      lastEventId: cursor,
    })) as [Sub];
    await until(() => resumed.received >= 300, 5_000);
    // Expected: origin 1's events 301..500 (published before the restart), then origin 2's 1..100.
    const expected = [
      ...Array.from({ length: 200 }, (_, i) => `1:${301 + i}`),
      ...Array.from({ length: 100 }, (_, i) => `2:${1 + i}`),
    ];
    const got = resumed.data;
    const missing = expected.filter((e) => !got.includes(e)).length;
    const exact = got.length === expected.length && got.every((e, i) => e === expected[i]);
    rows.push({
      scenario: "restart all brokers, resume on another node",
      mode,
      subscribers: 1,
      events: 600,
      deliveries: got.length,
      "cross p50": "",
      "cross p99": "",
      "all p99": "",
      "broker CPU/delivery": "",
      "lost/dup/ooo": `${missing}/${resumed.dup}/${resumed.ooo}`,
      extra: `${exact ? "EXACT" : "NOT exact"}: expected ${expected.length} after the cursor, got ${got.length}, ${missing} missing, ${resumed.resets} reset`,
    });
    resumed.socket.destroy();
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
}

type Row = Record<string, string | number>;
const rows: Row[] = [];

async function clientRole(): Promise<void> {
  const missing = redisMissing();
  if (missing !== null) {
    console.error(`bench:backplane needs redis-server: ${missing}`);
    process.exitCode = 1;
    return;
  }
  const quick = args.has("quick");
  const only = args.get("only")?.split(",") ?? ["latency", "interest", "restart"];
  const perNode = Number(args.get("perNode") ?? 10);
  console.log(`backplane benchmark (node ${process.version}${quick ? ", quick" : ""}) ...`);
  const redis = await RedisServer.start({ appendonly: false });
  try {
    for (const mode of ["mesh", "redis"] as const) {
      if (only.includes("latency")) await latency(redis, mode, perNode, quick ? 2 : 5);
      if (only.includes("interest")) await interest(redis, mode, quick ? 500 : 2000);
      if (only.includes("restart")) await restart(redis, mode);
    }
  } finally {
    await redis.destroy();
  }
  rows.sort((a, b) => String(a.scenario).localeCompare(String(b.scenario)));
  console.table(rows);
}

if (args.get("role") === "server") await serverRole();
else await clientRole();

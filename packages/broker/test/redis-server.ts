/**
 * A real `redis-server` for tests and benchmarks: started on a free loopback port with its own
 * temp directory, stopped (and the directory removed) after. Also a TCP cut-through proxy, to
 * take one broker's Redis link away while the others keep theirs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why Redis tests cannot run here, or null when `redis-server` is installed. */
export function redisMissing(): string | null {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.error === undefined && r.status === 0) return null;
  const reason = "redis-server is not installed (apt-get install redis-server; .ci/run installs it)";
  process.stderr.write(`\n*** SKIPPING the Redis backplane tests: ${reason} ***\n\n`);
  return reason;
}

/** A free loopback TCP port (free when asked; the caller binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RedisOptions {
  /** Append-only file on (history survives a restart); default off, and RDB snapshots off. */
  appendonly?: boolean;
}

/** One redis-server process that can be stopped and started again on the same port and data. */
export class RedisServer {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisOptions,
  ) {}

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    return RedisServer.startOn(await freePort(), options);
  }

  /** Starts on a given port (one a broker was already told about). */
  static async startOn(port: number, options: RedisOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), "shoal-redis-"));
    const server = new RedisServer(port, dir, options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Process id while running (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the process (again) and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.proc !== null) throw new Error("redis-server is running");
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      this.options.appendonly ? "yes" : "no",
      "--appendfsync",
      "always",
      "--daemonize",
      "no",
      "--logfile",
      "",
    ];
    const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    proc.stdout?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    proc.stderr?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    this.proc = proc;
    const deadline = Date.now() + 15_000;
    while (!(await ping(this.port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill("SIGKILL");
        this.proc = null;
        throw new Error(`redis-server did not start on port ${this.port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the process (SIGTERM: with appendonly on, what it acknowledged is on disk). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    this.proc = null;
    if (proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops and removes the data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when something on `port` answers `+PONG`. */
async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      answer += d.toString();
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
  });
}

/** A loopback TCP proxy to `targetPort` whose link can be cut (connections dropped and refused) and restored. */
export class CutProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CutProxy> {
    const holder: { proxy?: CutProxy } = {};
    const server = createServer((client) => {
      const proxy = holder.proxy!;
      if (proxy.cut) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on("close", () => proxy.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.proxy = new CutProxy(server, (server.address() as { port: number }).port);
    return holder.proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones until {@link restore}. */
  sever(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Sends one inline command (no arguments with spaces) and resolves with the first reply line. */
export async function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${command}`));
    });
    socket.on("error", reject);
    socket.on("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (d) => {
      answer += d.toString();
      const end = answer.indexOf("\r\n");
      if (end < 0) return;
      socket.destroy();
      resolve(answer.slice(0, end));
    });
  });
}

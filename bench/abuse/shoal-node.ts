/**
 * For the broker's abuse sections: a `shoal start` process on loopback (the real command, the
 * public entry point), its resident memory from /proc, and a keep-alive HTTP client that can
 * publish many requests in parallel.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

const SHOAL_BIN = fileURLToPath(new URL("../../packages/broker/bin/shoal.js", import.meta.url));

export interface ShoalNode {
  proc: ChildProcess;
  port: number;
  base: string;
  /** Resident set size now, bytes (0 once the process is gone). */
  rss(): number;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `shoal start` with `args` on loopback; resolves once it logged "node started". */
export async function startShoal(args: string[], nodeArgs: string[] = []): Promise<ShoalNode> {
  const proc = spawn(
    process.execPath,
    [
      ...nodeArgs,
      SHOAL_BIN,
      "start",
      "--bind.addr",
      "127.0.0.1",
      "--gossip.port",
      "0",
      "--http.server.port",
      "0",
      "--log.format",
      "json",
      "--log.level",
      "info",
      ...args,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let exited = false;
  proc.on("exit", () => {
    exited = true;
  });
  let port = 0;
  let log = "";
  proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    log += chunk;
    const m = /"msg":"node started"[^\n]*"httpPort":(\d+)/.exec(log);
    if (m !== null && port === 0) port = Number(m[1]);
    if (log.length > 1 << 20) log = log.slice(-(1 << 16));
  });
  const deadline = Date.now() + 30_000;
  while (port === 0) {
    if (exited) throw new Error(`shoal exited early:\n${log}`);
    if (Date.now() > deadline) throw new Error("shoal did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    rss: () => rssOf(proc.pid!),
    alive: () => !exited,
    stop: async () => {
      if (exited) return;
      proc.kill("SIGKILL");
      while (!exited) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/** VmRSS of `pid`, bytes. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs a JSON body; resolves with the status (0 on a network error). */
export function post(port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** Runs `count` jobs with at most `parallel` in flight. */
export async function parallel(
  count: number,
  width: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

/** Bytes as MB with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

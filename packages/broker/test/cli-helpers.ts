/** Starting `shoal start` as real processes for the multi-process tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./helpers.ts";

export const SHOAL_BIN = fileURLToPath(new URL("../bin/shoal.js", import.meta.url));

export interface ShoalProcess {
  proc: ChildProcess;
  name: string;
  httpPort: number;
  gossipPort: number;
  base: string;
  logs: Record<string, unknown>[];
  exitCode: number | null;
  exited: boolean;
}

/**
 * Spawns a node on ephemeral ports and resolves once it logged "node started". `openFiles` runs
 * it under that `ulimit -n` (through sh), for tests of descriptor exhaustion.
 */
export async function spawnShoal(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  openFiles?: number,
): Promise<ShoalProcess> {
  const wrap =
    openFiles === undefined ? [] : ["-c", `ulimit -n ${openFiles} && exec "$0" "$@"`, process.execPath];
  const proc = spawn(
    openFiles === undefined ? process.execPath : "sh",
    [
      ...wrap,
      SHOAL_BIN,
      "start",
      "--node.name",
      name,
      "--bind.addr",
      "127.0.0.1",
      "--gossip.port",
      "0",
      "--http.server.port",
      "0",
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const node: ShoalProcess = {
    proc,
    name,
    httpPort: 0,
    gossipPort: 0,
    base: "",
    logs: [],
    exitCode: null,
    exited: false,
  };
  let partial = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        node.logs.push(entry);
        if (entry.msg === "node started") {
          node.httpPort = Number(entry.httpPort);
          node.gossipPort = Number(entry.gossipPort);
          node.base = `http://127.0.0.1:${node.httpPort}`;
        }
      } catch {
        node.logs.push({ raw: line });
        // `--log.format text`: `… INFO  node started … httpPort=N gossipPort=M …`
        const started = / node started .*httpPort=(\d+) gossipPort=(\d+)/.exec(line);
        if (started !== null) {
          node.httpPort = Number(started[1]);
          node.gossipPort = Number(started[2]);
          node.base = `http://127.0.0.1:${node.httpPort}`;
        }
      }
    }
  });
  proc.stdout!.resume();
  proc.on("exit", (code) => {
    node.exited = true;
    node.exitCode = code;
  });
  try {
    // Generous: a node boots in about a second, but on a loaded 2-core machine, beside a test that
    // hammers other nodes, it has taken over 30 s.
    await waitFor(() => node.httpPort > 0 || node.exited, `${name} to start`, 90_000);
  } catch (err) {
    // Not left running: nobody else has a handle on it, and its pipes would keep the test file alive.
    proc.kill("SIGKILL");
    await waitFor(() => node.exited, `${name} to die after a failed start`);
    throw err;
  }
  if (node.exited) throw new Error(`${name} exited early: ${JSON.stringify(node.logs)}`);
  return node;
}

/** Runs the CLI to completion (for --help and config errors); killed after `timeoutMs` if it runs on. */
export function runShoal(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SHOAL_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("exit", () => clearTimeout(timer));
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    proc.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    proc.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

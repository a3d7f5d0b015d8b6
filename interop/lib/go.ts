/**
 * The TypeScript side of the Go interop programs: build them, read Go's test vectors, have Go decode
 * Shoal's bytes, and time Go's own codec.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { buildInterop } from "./go-build.ts";
import type { CheckRequest, CheckResponse, GoBenchResult, GoVectorFile } from "./vector-types.ts";

export { buildInterop, buildInteropBinaries, goAvailable, type InteropBinaries } from "./go-build.ts";
export type * from "./vector-types.ts";

const execFileAsync = promisify(execFile);
const bigOutput = 256 * 1024 * 1024;

/** Runs `shoal-interop vectors` and returns Go's vectors, or null when Go is not available. */
export async function goVectors(): Promise<GoVectorFile | null> {
  const bin = await buildInterop();
  if (bin === null) return null;
  const { stdout } = await execFileAsync(bin, ["vectors"], { maxBuffer: bigOutput });
  return JSON.parse(stdout) as GoVectorFile;
}

/**
 * Times Go's encode and decode of ping, ack, alive, a compound of 10 alives and a 100-node push/pull,
 * plain and with AES-128. Null when Go is not available.
 */
export async function goWireBench(durationMs = 400): Promise<GoBenchResult | null> {
  const bin = await buildInterop();
  if (bin === null) return null;
  const { stdout } = await execFileAsync(bin, ["bench", "-duration", `${durationMs}ms`], {
    maxBuffer: bigOutput,
  });
  return JSON.parse(stdout) as GoBenchResult;
}

/**
 * A running `shoal-interop check`: each request is one line to Go, each answer one line back, in order.
 * Start with {@link GoChecker.start}; always {@link GoChecker.close} it.
 */
export class GoChecker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: Array<{ resolve: (r: CheckResponse) => void; reject: (e: Error) => void }> = [];
  #stderr = "";
  #exited: Error | null = null;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on("line", (line) => this.#onLine(line));
    child.stderr.on("data", (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    child.on("exit", (code, signal) => {
      this.#exited = new Error(`shoal-interop check exited (${code ?? signal}): ${this.#stderr}`);
      for (const w of this.#waiting.splice(0)) w.reject(this.#exited);
    });
  }

  /** Starts the checker, or returns null when Go is not available. */
  static async start(): Promise<GoChecker | null> {
    const bin = await buildInterop();
    if (bin === null) return null;
    return new GoChecker(spawn(bin, ["check"], { stdio: ["pipe", "pipe", "pipe"] }));
  }

  #onLine(line: string): void {
    const w = this.#waiting.shift();
    if (!w) return;
    try {
      w.resolve(JSON.parse(line) as CheckResponse);
    } catch (err) {
      w.reject(err as Error);
    }
  }

  /** Has Go decode one encoding. */
  check(req: CheckRequest): Promise<CheckResponse> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  /** Stops the process and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.stdin.end();
    await exited;
  }
}

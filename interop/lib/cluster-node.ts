/**
 * One memberlist node in its own process — a Go node (shoal-gonode, Debian's memberlist 0.2.2) or a
 * Shoal node (interop/node/shoal-node.ts) — driven through the same JSON-line protocol, so a test or a
 * benchmark can mix them freely. Waits are on conditions with deadlines, never fixed sleeps.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export type NodeKind = "go" | "shoal";

export interface NodeOptions {
  name: string;
  preset?: "lan" | "wan" | "local";
  /** base64 gossip key. */
  key?: string;
  compression?: boolean;
  protocol?: number;
  meta?: string;
  localState?: string;
  port?: number;
  gossipInterval?: string;
  probeInterval?: string;
}

export interface NodeJSON {
  name: string;
  addr: string;
  port: number;
  meta: string;
  state: number;
  pmin: number;
  pmax: number;
  pcur: number;
}

export type NodeEvent = { event: string; [k: string]: unknown };

const shoalNodeScript = fileURLToPath(new URL("../node/shoal-node.ts", import.meta.url));

export class ClusterNode {
  readonly events: NodeEvent[] = [];
  port = 0;
  exited = false;
  private nextId = 1;
  private waiters = new Set<() => void>();
  private exitPromise: Promise<void>;
  private stderr = "";

  private constructor(
    readonly kind: NodeKind,
    readonly name: string,
    private readonly proc: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as NodeEvent);
      } catch {
        this.events.push({ event: "garbage", line });
      }
      for (const w of this.waiters) w();
    });
    proc.stderr.on("data", (d: Buffer) => {
      // Keep only the tail, for failure messages.
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exitPromise = new Promise((resolve) => {
      // A failed spawn emits 'error' and never 'exit'.
      proc.on("error", (err) => {
        this.stderr += `\nspawn failed: ${err.message}`;
        this.exited = true;
        for (const w of this.waiters) w();
        resolve();
      });
      proc.on("exit", () => {
        this.exited = true;
        for (const w of this.waiters) w();
        resolve();
      });
    });
  }

  /** Starts a node and waits until it is listening. `goBinary` is the shoal-gonode path for kind "go". */
  static async start(kind: NodeKind, opts: NodeOptions, goBinary?: string): Promise<ClusterNode> {
    const args = ["-name", opts.name, "-preset", opts.preset ?? "local", "-port", String(opts.port ?? 0)];
    if (opts.key) args.push("-key", opts.key);
    if (opts.compression !== undefined) args.push(`-compression=${opts.compression}`);
    if (opts.protocol !== undefined) args.push("-protocol", String(opts.protocol));
    if (opts.meta) args.push("-meta", opts.meta);
    if (opts.localState) args.push("-local-state", opts.localState);
    if (opts.gossipInterval) args.push("-gossip-interval", opts.gossipInterval);
    if (opts.probeInterval) args.push("-probe-interval", opts.probeInterval);
    let proc: ChildProcessWithoutNullStreams;
    if (kind === "go") {
      if (!goBinary) throw new Error("a Go node needs the shoal-gonode binary");
      proc = spawn(
        goBinary,
        args.map((a) => (a.startsWith("-compression=") ? a : a)),
        { stdio: "pipe" },
      );
    } else {
      const nodeArgs = ["--conditions=development", "--import", "tsx", shoalNodeScript, ...args];
      proc = spawn(process.execPath, nodeArgs, { stdio: "pipe" });
    }
    const node = new ClusterNode(kind, opts.name, proc);
    const ready = await node.waitForEvent((e) => e.event === "ready" || e.event === "error", 30_000, "ready");
    if (ready.event === "error") throw new Error(`${kind} node ${opts.name} failed: ${String(ready.error)}`);
    node.port = Number(ready.port);
    return node;
  }

  /** The process id, for CPU and memory readings. */
  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sends a command and resolves with its reply. */
  async command(cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<NodeEvent> {
    const id = this.nextId++;
    this.proc.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return this.waitForEvent((e) => e.id === id, timeoutMs, `reply to ${String(cmd.cmd)}`);
  }

  async members(): Promise<NodeJSON[]> {
    const r = await this.command({ cmd: "members" });
    return r.members as NodeJSON[];
  }

  async join(addrs: string[]): Promise<number> {
    const r = await this.command({ cmd: "join", addrs });
    if (r.error) throw new Error(`${this.name} join failed: ${String(r.error)}`);
    return Number(r.n);
  }

  /** Resolves with the first event (already seen or future) that matches. */
  waitForEvent(match: (e: NodeEvent) => boolean, timeoutMs: number, what: string): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < this.events.length; seen++) {
          const e = this.events[seen]!;
          if (match(e)) {
            done();
            resolve(e);
            return;
          }
        }
        if (this.exited) {
          done();
          reject(
            new Error(`${this.kind} node ${this.name} exited while waiting for ${what}\n${this.stderr}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.kind} node ${this.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Polls the member list until `check` holds. */
  async waitForMembers(
    check: (m: NodeJSON[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<NodeJSON[]> {
    const start = Date.now();
    for (;;) {
      const m = await this.members();
      if (check(m)) return m;
      if (Date.now() - start > timeoutMs) {
        throw new Error(
          `${this.kind} node ${this.name}: timed out waiting for ${what}; members: ${m.map((x) => x.name).join(",")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the process at once (no leave, no shutdown). */
  async kill(): Promise<void> {
    if (!this.exited) this.proc.kill("SIGKILL");
    await this.exitPromise;
  }

  /** Asks the node to shut down and waits for the process to end. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.proc.stdin.end();
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
    await this.exitPromise;
    clearTimeout(t);
  }
}

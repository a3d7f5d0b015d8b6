/**
 * A live Go memberlist 0.2.2 node (interop/go/cmd/shoal-gonode) as a child process: commands go in as
 * JSON lines, events come back as JSON lines. Tests wait on conditions (`waitFor`, `waitForMembers`)
 * with deadlines, never on fixed sleeps.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { buildInteropBinaries } from "./go-build.ts";

/** How to start a Go node; unset fields keep the preset's values. */
export interface GoNodeOptions {
  name: string;
  /** Address to bind (default 127.0.0.1). */
  bind?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** memberlist config preset (default "local"). */
  preset?: "lan" | "wan" | "local";
  /** Gossip key, 16/24/32 bytes. */
  key?: Uint8Array;
  compression?: boolean;
  /** ProtocolVersion 2..5. */
  protocol?: number;
  meta?: string;
  /** User state sent on every push/pull. */
  localState?: string;
  gossipIntervalMs?: number;
  probeIntervalMs?: number;
}

/** One JSON line from the node: `event` names it (ready, join, leave, update, message, ...). */
export interface GoNodeEvent {
  event: string;
  id?: number;
  [field: string]: unknown;
}

/** A member as the Go node reports it (Node.State is always 0 in 0.2.2's Members()). */
export interface GoMember {
  name: string;
  addr: string;
  port: number;
  meta: string;
  metaHex: string;
  state: number;
  pmin: number;
  pmax: number;
  pcur: number;
  dmin: number;
  dmax: number;
  dcur: number;
}

type Waiter = {
  match: (e: GoNodeEvent) => boolean;
  resolve: (e: GoNodeEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

function flagsFor(o: GoNodeOptions): string[] {
  const flags = [`-name=${o.name}`, `-bind=${o.bind ?? "127.0.0.1"}`, `-port=${o.port ?? 0}`];
  flags.push(`-preset=${o.preset ?? "local"}`);
  if (o.key) flags.push(`-key=${Buffer.from(o.key).toString("base64")}`);
  if (o.compression !== undefined) flags.push(`-compression=${o.compression}`);
  if (o.protocol !== undefined) flags.push(`-protocol=${o.protocol}`);
  if (o.meta !== undefined) flags.push(`-meta=${o.meta}`);
  if (o.localState !== undefined) flags.push(`-local-state=${o.localState}`);
  if (o.gossipIntervalMs !== undefined) flags.push(`-gossip-interval=${o.gossipIntervalMs}ms`);
  if (o.probeIntervalMs !== undefined) flags.push(`-probe-interval=${o.probeIntervalMs}ms`);
  return flags;
}

/** A running Go memberlist node. Start with {@link GoNode.start}; end with {@link stop} or {@link kill}. */
export class GoNode {
  readonly name: string;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #events: GoNodeEvent[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #exit: Promise<void>;
  #stderr = "";
  #nextId = 1;
  #exited = false;
  #addr = "";
  #port = 0;

  private constructor(name: string, child: ChildProcessWithoutNullStreams) {
    this.name = name;
    this.#child = child;
    createInterface({ input: child.stdout }).on("line", (line) => this.#onLine(line));
    child.stderr.on("data", (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-20_000);
    });
    // Commands written after the process died must not crash the test process.
    child.stdin.on("error", () => {});
    this.#exit = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exited = true;
        const err = new Error(`Go node ${name} exited (${code ?? signal})\n${this.stderrTail()}`);
        for (const w of this.#waiters) {
          clearTimeout(w.timer);
          w.reject(err);
        }
        this.#waiters.clear();
        resolve();
      });
    });
  }

  /**
   * Builds the Go programs if needed, starts a node and waits for its `ready` event. Throws when Go or
   * Debian's memberlist is missing (check `goAvailable()` first) or the node fails to start.
   */
  static async start(options: GoNodeOptions, readyTimeoutMs = 30_000): Promise<GoNode> {
    const bins = await buildInteropBinaries();
    if (bins === null) throw new Error("Go or Debian's memberlist 0.2.2 is not installed");
    const child = spawn(bins.gonode, flagsFor(options), { stdio: ["pipe", "pipe", "pipe"] });
    const node = new GoNode(options.name, child);
    const ready = await node.waitFor((e) => e.event === "ready" || e.event === "error", readyTimeoutMs);
    if (ready.event === "error") {
      await node.kill();
      throw new Error(`Go node ${options.name} failed to start: ${String(ready.error)}`);
    }
    node.#addr = String(ready.addr);
    node.#port = Number(ready.port);
    return node;
  }

  /** The advertised IP. */
  get addr(): string {
    return this.#addr;
  }

  /** The bound UDP/TCP port. */
  get port(): number {
    return this.#port;
  }

  /** `addr:port`, as `join` takes it. */
  get address(): string {
    return `${this.#addr}:${this.#port}`;
  }

  /** Every event so far, oldest first. */
  get events(): readonly GoNodeEvent[] {
    return this.#events;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last part of the node's log (memberlist writes it to stderr), for failure messages. */
  stderrTail(): string {
    return this.#stderr.slice(-4000);
  }

  #onLine(line: string): void {
    let e: GoNodeEvent;
    try {
      e = JSON.parse(line) as GoNodeEvent;
    } catch {
      e = { event: "unparsed", line };
    }
    this.#events.push(e);
    for (const w of this.#waiters) {
      if (!w.match(e)) continue;
      clearTimeout(w.timer);
      this.#waiters.delete(w);
      w.resolve(e);
    }
  }

  /**
   * Resolves with the first event, past or future, that matches (from index `since` of
   * {@link events}); rejects after `timeoutMs` or when the process exits.
   */
  waitFor(match: (e: GoNodeEvent) => boolean, timeoutMs = 15_000, since = 0): Promise<GoNodeEvent> {
    for (let i = since; i < this.#events.length; i++) {
      const e = this.#events[i]!;
      if (match(e)) return Promise.resolve(e);
    }
    if (this.#exited) return Promise.reject(new Error(`Go node ${this.name} has exited`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new Error(`Go node ${this.name}: no matching event within ${timeoutMs} ms\n${this.stderrTail()}`),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Asks for the member list until `match` accepts it, re-asking whenever the node reports an event
   * and at least every `pollMs`; rejects after `timeoutMs`.
   */
  async waitForMembers(
    match: (members: GoMember[]) => boolean,
    timeoutMs = 15_000,
    pollMs = 200,
  ): Promise<GoMember[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const members = await this.members();
      if (match(members)) return members;
      const left = deadline - Date.now();
      if (left <= 0) {
        const names = members.map((m) => m.name).join(", ");
        throw new Error(`Go node ${this.name}: members never matched (last: ${names})\n${this.stderrTail()}`);
      }
      // Wake on the next membership event, or re-check after pollMs (state can change silently).
      const seen = this.#events.length;
      await this.waitFor(() => true, Math.min(pollMs, left), seen).catch((err: Error) => {
        if (this.#exited) throw err;
      });
    }
  }

  /** Sends a command and resolves with the event that answers it (matched by id). */
  request(cmd: Record<string, unknown>, timeoutMs = 15_000): Promise<GoNodeEvent> {
    const id = this.#nextId++;
    const since = this.#events.length;
    this.#child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return this.waitFor((e) => e.id === id, timeoutMs, since);
  }

  async #expectOk(cmd: Record<string, unknown>, timeoutMs?: number): Promise<GoNodeEvent> {
    const e = await this.request(cmd, timeoutMs);
    if (e.event === "error" || (typeof e.error === "string" && e.error !== "")) {
      throw new Error(`Go node ${this.name}: ${String(cmd.cmd)} failed: ${String(e.error)}`);
    }
    return e;
  }

  /** memberlist Join; resolves with the number of nodes contacted (throws if none). */
  async join(addrs: string[]): Promise<number> {
    const e = await this.#expectOk({ cmd: "join", addrs }, 30_000);
    return Number(e.n);
  }

  /** The live members (memberlist Members()). */
  async members(): Promise<GoMember[]> {
    const e = await this.request({ cmd: "members" });
    return e.members as GoMember[];
  }

  /** Sets the node's meta and calls UpdateNode. */
  async updateMeta(meta: string, timeoutMs = 5_000): Promise<void> {
    await this.#expectOk({ cmd: "update-meta", meta, timeout_ms: timeoutMs }, timeoutMs + 5_000);
  }

  /** Replaces the user state sent on push/pull. */
  async setLocalState(data: string): Promise<void> {
    await this.#expectOk({ cmd: "set-local-state", data });
  }

  /** SendReliable (TCP) to the live member named `to`. */
  async sendReliable(to: string, data: string): Promise<void> {
    await this.#expectOk({ cmd: "send-reliable", to, data });
  }

  /** SendBestEffort (UDP) to the live member named `to`. */
  async sendBestEffort(to: string, data: string): Promise<void> {
    await this.#expectOk({ cmd: "send-best-effort", to, data });
  }

  /** Queues a user broadcast on the delegate's TransmitLimitedQueue. */
  async broadcast(data: string): Promise<void> {
    await this.#expectOk({ cmd: "broadcast", data });
  }

  /** Graceful Leave (the process keeps running until stopped). */
  async leave(timeoutMs = 1_000): Promise<void> {
    await this.#expectOk({ cmd: "leave", timeout_ms: timeoutMs }, timeoutMs + 10_000);
  }

  /** The awareness health score and the number of live members. */
  async health(): Promise<{ score: number; members: number }> {
    const e = await this.request({ cmd: "health" });
    return { score: Number(e.score), members: Number(e.members) };
  }

  /** Shuts memberlist down without a leave and waits for the process to exit (SIGKILL after the grace). */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin.end(`${JSON.stringify({ cmd: "shutdown" })}\n`);
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }

  /** Kills the process outright (a crash, as far as the cluster can tell) and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    this.#child.kill("SIGKILL");
    await this.#exit;
  }
}

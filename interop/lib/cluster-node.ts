/**
 * One memberlist node in its own process — a Go node (shoal-gonode, Debian's memberlist 0.2.2), the
 * v0.6 oracle (newest Go memberlist, prebuilt; see oracle.ts) or a Shoal node
 * (interop/node/shoal-node.ts) — driven through the same JSON-line protocol, so a test or a benchmark
 * can mix them freely. Waits are on conditions with deadlines, never fixed sleeps.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { joinHostPort } from "@shoal/memberlist";
import { buildInteropBinaries } from "./go-build.ts";
import { isOracleReply, oracleBinary, oracleCommand, oracleEvent, oracleFlags } from "./oracle.ts";

/** Which implementation runs in the process: Go 0.2.2, Go v0.6 (the oracle), or Shoal. */
export type NodeKind = "go" | "go-latest" | "shoal";

/** How to start a node; unset fields keep the preset's values. */
export interface NodeOptions {
  name: string;
  /** Address to bind UDP and TCP to (default 127.0.0.1). */
  bind?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** memberlist config preset (default "local"). */
  preset?: "lan" | "wan" | "local";
  /** Gossip key (16, 24 or 32 bytes), raw or base64. */
  key?: string | Uint8Array;
  compression?: boolean;
  /** ProtocolVersion 2..5. */
  protocol?: number;
  meta?: string;
  /** User state sent on every push/pull. */
  localState?: string;
  /** A Go duration such as "200ms". */
  gossipInterval?: string;
  /** A Go duration such as "1s". */
  probeInterval?: string;
  /** memberlist's Label (not in Go 0.2.2). */
  label?: string;
  /** memberlist's SkipInboundLabelCheck (not in Go 0.2.2). */
  skipInboundLabelCheck?: boolean;
}

/** A member as the node reports it (Go 0.2.2's Members() always reports state 0). */
export interface NodeJSON {
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

/** One JSON line from the node: `event` names it (ready, join, leave, update, message, ...). */
export type NodeEvent = { event: string; [k: string]: unknown };

/** Matches a user message event carrying exactly `data`. */
export function messageWith(data: string): (e: NodeEvent) => boolean {
  return (e) => e.event === "message" && e.data === data;
}

/** Matches the join event of the node called `name`. */
export function joinOf(name: string): (e: NodeEvent) => boolean {
  return (e) => e.event === "join" && (e.node as { name?: unknown } | undefined)?.name === name;
}

/** Matches the leave (or death) event of the node called `name`. */
export function leaveOf(name: string): (e: NodeEvent) => boolean {
  return (e) => e.event === "leave" && (e.node as { name?: unknown } | undefined)?.name === name;
}

const shoalNodeScript = fileURLToPath(new URL("../node/shoal-node.ts", import.meta.url));
/** How often waitForMembers re-asks when no event arrives (suspicion changes state silently). */
const membersPollMs = 100;
const stderrKeep = 4000;

function flagsFor(kind: NodeKind, o: NodeOptions): string[] {
  const key =
    o.key === undefined || typeof o.key === "string" ? o.key : Buffer.from(o.key).toString("base64");
  if (kind === "go-latest") {
    if (o.protocol !== undefined)
      throw new Error("the v0.6 oracle has no protocol flag (it runs Go's default)");
    return oracleFlags({ ...o, key });
  }
  if (kind === "go" && (o.label !== undefined || o.skipInboundLabelCheck !== undefined)) {
    throw new Error("Go memberlist 0.2.2 has no labels");
  }
  // `-flag=value` so that empty values survive both Go's flag package and node's parseArgs.
  const flags = [`-name=${o.name}`, `-preset=${o.preset ?? "local"}`, `-port=${o.port ?? 0}`];
  if (o.bind !== undefined) flags.push(`-bind=${o.bind}`);
  if (key !== undefined) flags.push(`-key=${key}`);
  if (o.compression !== undefined) flags.push(`-compression=${o.compression}`);
  if (o.protocol !== undefined) flags.push(`-protocol=${o.protocol}`);
  if (o.meta !== undefined) flags.push(`-meta=${o.meta}`);
  if (o.localState !== undefined) flags.push(`-local-state=${o.localState}`);
  if (o.gossipInterval !== undefined) flags.push(`-gossip-interval=${o.gossipInterval}`);
  if (o.probeInterval !== undefined) flags.push(`-probe-interval=${o.probeInterval}`);
  if (o.label !== undefined) flags.push(`-label=${o.label}`);
  if (o.skipInboundLabelCheck) flags.push("-skip-inbound-label-check=true");
  return flags;
}

async function spawnNode(kind: NodeKind, flags: string[], goBinary?: string) {
  if (kind === "shoal") {
    // SHOAL_NODE_JS names a compiled build of shoal-node (benchmarks use one, to measure the library
    // rather than the TypeScript loader); otherwise the sources run through tsx.
    const compiled = process.env.SHOAL_NODE_JS;
    const nodeArgs = compiled
      ? [compiled, ...flags]
      : ["--conditions=development", "--import", "tsx", shoalNodeScript, ...flags];
    return spawn(process.execPath, nodeArgs, { stdio: "pipe" });
  }
  if (kind === "go-latest") {
    const oracle = oracleBinary();
    if (oracle === null) throw new Error("the v0.6 oracle (memberlist-latest-node) is not present");
    return spawn(oracle, flags, { stdio: "pipe" });
  }
  const binary = goBinary ?? (await buildInteropBinaries())?.gonode;
  if (binary === undefined) throw new Error("Go or Debian's memberlist 0.2.2 is not installed");
  return spawn(binary, flags, { stdio: "pipe" });
}

/** A running node. Start with {@link ClusterNode.start}; end with {@link stop} or {@link kill}. */
export class ClusterNode {
  readonly kind: NodeKind;
  readonly name: string;
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #events: NodeEvent[] = [];
  /** Re-checks of pending waits, run on every event and on exit. */
  readonly #waiters = new Set<() => void>();
  readonly #exit: Promise<void>;
  #stderr = "";
  #nextId = 1;
  #exited = false;
  #host = "127.0.0.1";
  #port = 0;
  /** Ids of the oracle's unanswered commands, oldest first: it answers in order, without ids. */
  readonly #pendingIds: number[] = [];

  private constructor(kind: NodeKind, name: string, proc: ChildProcessWithoutNullStreams) {
    this.kind = kind;
    this.name = name;
    this.#proc = proc;
    createInterface({ input: proc.stdout }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        this.#events.push(kind === "go-latest" ? this.#fromOracle(parsed) : (parsed as NodeEvent));
      } catch {
        this.#events.push({ event: "garbage", line });
      }
      for (const w of this.#waiters) w();
    });
    proc.stderr.on("data", (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-stderrKeep);
    });
    // Commands written after the process died must not crash the test process.
    proc.stdin.on("error", () => {});
    this.#exit = new Promise((resolve) => {
      const exited = (): void => {
        this.#exited = true;
        for (const w of this.#waiters) w();
        resolve();
      };
      // A failed spawn emits 'error' and never 'exit'.
      proc.on("error", (err) => {
        this.#stderr += `\nspawn failed: ${err.message}`;
        exited();
      });
      proc.on("exit", exited);
    });
  }

  #fromOracle(raw: Record<string, unknown>): NodeEvent {
    const e = oracleEvent(raw);
    const id = isOracleReply(raw) ? this.#pendingIds.shift() : undefined;
    return id === undefined ? e : { ...e, id };
  }

  /**
   * Starts a node and waits until it is listening. `goBinary` is the shoal-gonode path for kind "go";
   * without it the Go programs are built (or the cached build reused) through buildInteropBinaries(),
   * which throws when Go or Debian's memberlist is missing (check `goAvailable()` first).
   */
  static async start(kind: NodeKind, opts: NodeOptions, goBinary?: string): Promise<ClusterNode> {
    const node = new ClusterNode(kind, opts.name, await spawnNode(kind, flagsFor(kind, opts), goBinary));
    try {
      const ready = await node.waitForEvent(
        (e) => e.event === "ready" || e.event === "error",
        30_000,
        "ready",
      );
      if (ready.event === "error")
        throw new Error(`${kind} node ${opts.name} failed: ${String(ready.error)}`);
      node.#host = String(ready.addr ?? node.#host);
      node.#port = Number(ready.port);
    } catch (err) {
      await node.kill();
      throw err;
    }
    return node;
  }

  /** The process id, for CPU and memory readings. */
  get pid(): number {
    return this.#proc.pid ?? -1;
  }

  /** The bound UDP/TCP port. */
  get port(): number {
    return this.#port;
  }

  /** `host:port`, as `join` takes it. */
  get addr(): string {
    return joinHostPort(this.#host, this.#port);
  }

  /** Every event so far, oldest first. */
  get events(): readonly NodeEvent[] {
    return this.#events;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last part of the node's log (both implementations write it to stderr), for failure messages. */
  stderrTail(): string {
    return this.#stderr;
  }

  #failure(message: string): Error {
    return new Error(`${this.kind} node ${this.name}: ${message}\n${this.#stderr}`);
  }

  /**
   * Resolves with what `probe` finds, probing now and on every event; rejects when the process exits
   * first; at the deadline resolves or rejects with what `expire` returns.
   */
  #until<T>(
    probe: () => T | undefined,
    timeoutMs: number,
    what: string,
    expire: () => T | Error,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: T | Error): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const check = (): void => {
        const found = probe();
        if (found !== undefined) settle(found);
        else if (this.#exited) settle(this.#failure(`exited while waiting for ${what}`));
      };
      const timer = setTimeout(() => settle(expire()), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * Resolves with the first event, already seen or future, that matches — looking from index `since`
   * of {@link events} on; rejects after `timeoutMs` or when the process exits. `what` names the wait
   * in failure messages.
   */
  waitForEvent(
    match: (e: NodeEvent) => boolean,
    timeoutMs: number,
    what: string,
    since = 0,
  ): Promise<NodeEvent> {
    let next = since;
    const probe = (): NodeEvent | undefined => {
      for (; next < this.#events.length; next++) {
        const e = this.#events[next]!;
        if (match(e)) return e;
      }
      return undefined;
    };
    return this.#until(probe, timeoutMs, what, () =>
      this.#failure(`timed out after ${timeoutMs} ms waiting for ${what}`),
    );
  }

  /**
   * Asks for the member list until `check` accepts it, re-asking whenever the node reports an event
   * and at least every 100 ms; rejects after `timeoutMs`.
   */
  async waitForMembers(
    check: (m: NodeJSON[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<NodeJSON[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const members = await this.members();
      if (check(members)) return members;
      const left = deadline - Date.now();
      if (left <= 0) {
        const names = members.map((m) => m.name).join(",");
        throw this.#failure(`timed out waiting for ${what}; members: ${names}`);
      }
      const seen = this.#events.length;
      await this.#until(
        () => (this.#events.length > seen ? true : undefined),
        Math.min(membersPollMs, left),
        what,
        () => true,
      );
    }
  }

  /** Sends a command and resolves with its reply (matched by id). */
  async command(cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<NodeEvent> {
    const id = this.#nextId++;
    const since = this.#events.length;
    if (this.kind === "go-latest") {
      const line = oracleCommand(cmd);
      this.#pendingIds.push(id);
      this.#proc.stdin.write(`${line}\n`);
    } else {
      this.#proc.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    }
    return this.waitForEvent((e) => e.id === id, timeoutMs, `reply to ${String(cmd.cmd)}`, since);
  }

  /** Sends a command and throws when the reply carries an error. */
  async #expectOk(cmd: Record<string, unknown>, timeoutMs?: number): Promise<NodeEvent> {
    const reply = await this.command(cmd, timeoutMs);
    if (reply.event === "error" || (reply.error !== undefined && reply.error !== null)) {
      throw this.#failure(`${String(cmd.cmd)} failed: ${String(reply.error)}`);
    }
    return reply;
  }

  /** The live members. */
  async members(): Promise<NodeJSON[]> {
    const r = await this.command({ cmd: "members" });
    return r.members as NodeJSON[];
  }

  /** Joins through the given `host:port` seeds; resolves with the number contacted (throws if none). */
  async join(addrs: string[]): Promise<number> {
    const r = await this.#expectOk({ cmd: "join", addrs });
    return Number(r.n);
  }

  /** Sets the node's meta and gossips it (UpdateNode), waiting up to `timeoutMs` for the broadcast. */
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

  /** Queues a user broadcast, piggybacked on gossip a limited number of times. */
  async broadcast(data: string): Promise<void> {
    await this.#expectOk({ cmd: "broadcast", data });
  }

  /** Graceful leave; the process keeps running until stopped. */
  async leave(timeoutMs = 1_000): Promise<void> {
    await this.#expectOk({ cmd: "leave", timeout_ms: timeoutMs }, timeoutMs + 10_000);
  }

  /** The awareness health score and the number of live members. */
  async health(): Promise<{ score: number; members: number }> {
    const r = await this.command({ cmd: "health" });
    return { score: Number(r.score), members: Number(r.members) };
  }

  /** Kills the process at once (no leave, no shutdown: a crash, as far as the cluster can tell). */
  async kill(): Promise<void> {
    if (!this.#exited) this.#proc.kill("SIGKILL");
    await this.#exit;
  }

  /** Shuts the node down without a leave and waits for the process to end (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    this.#proc.stdin.end(this.kind === "go-latest" ? "kill\n" : `${JSON.stringify({ cmd: "shutdown" })}\n`);
    const timer = setTimeout(() => this.#proc.kill("SIGKILL"), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }
}

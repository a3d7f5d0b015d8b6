/**
 * A cluster of Shoal nodes in one process, on one machine: what `shoal demo` (and `npm start`)
 * runs. Nodes are ordinary {@link ShoalNode}s over real gossip and HTTP on loopback; one can be
 * killed without a goodbye (peers must detect the failure) and started again.
 */

import { joinHostPort } from "@shoal/memberlist";
import { parseStartArgs } from "../cli/parse.ts";
import { BrokerConfigError } from "../errors.ts";
import { closeAllConnections } from "../http/server.ts";
import { createLogger, type LogLevel } from "../log.ts";
import { type ShoalNode, startShoalNode } from "../node.ts";
import { findFreePort } from "./ports.ts";

/** How to run the demo cluster. */
export interface DemoOptions {
  /** Number of nodes (1..32). */
  nodes: number;
  /** Address every node binds to and advertises. */
  host: string;
  /** First gossip port; node i gets the i-th free port from here (0 = any). */
  gossipPort: number;
  /** First HTTP port; likewise. */
  httpPort: number;
  /** Gossip timing: `local` makes failure detection take seconds rather than tens of seconds. */
  profile: "lan" | "local";
  logLevel: LogLevel;
  /** Node names are `${namePrefix}1`, `${namePrefix}2`, ... */
  namePrefix?: string;
  /** Bound on each node's graceful stop, ms (default 5000). */
  shutdownTimeoutMs?: number;
}

/** Progress while the cluster comes up. */
export type DemoProgress =
  | { type: "starting"; index: number; name: string }
  | { type: "started"; index: number; name: string; httpPort: number; gossipPort: number }
  | { type: "forming"; seen: number; expected: number };

/** One node of the demo, running or not. */
export interface DemoMember {
  readonly index: number;
  readonly name: string;
  /** The running node; null while killed. */
  node: ShoalNode | null;
  httpPort: number;
  gossipPort: number;
}

/** Largest demo cluster: every node lives in this one process. */
export const MAX_DEMO_NODES = 32;

export class DemoCluster {
  private constructor(
    readonly options: DemoOptions,
    readonly members: DemoMember[],
  ) {}

  /** Starts every node, each joining the ones before it. Stops those started if one fails. */
  static async start(
    options: DemoOptions,
    progress: (p: DemoProgress) => void = () => {},
  ): Promise<DemoCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_DEMO_NODES)
      throw new BrokerConfigError(`--nodes must be a whole number from 1 to ${MAX_DEMO_NODES}`);
    const prefix = options.namePrefix ?? "node-";
    const members: DemoMember[] = [];
    for (let i = 0; i < options.nodes; i++)
      members.push({ index: i, name: `${prefix}${i + 1}`, node: null, httpPort: 0, gossipPort: 0 });
    const cluster = new DemoCluster(options, members);
    try {
      for (const m of members) {
        progress({ type: "starting", index: m.index, name: m.name });
        await cluster.launch(m, true);
        progress({
          type: "started",
          index: m.index,
          name: m.name,
          httpPort: m.httpPort,
          gossipPort: m.gossipPort,
        });
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** `http://host:port` of member `index`. */
  url(index: number): string {
    const m = this.member(index);
    return `http://${joinHostPort(this.options.host, m.httpPort)}`;
  }

  /**
   * Waits until every running node sees every running node alive. Resolves false on timeout or
   * when `signal` aborts.
   */
  async waitFormed(
    timeoutMs: number,
    progress: (p: DemoProgress) => void = () => {},
    signal?: AbortSignal,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    for (;;) {
      const running = this.members.filter((m) => m.node !== null);
      let seen = Number.POSITIVE_INFINITY;
      for (const m of running) {
        const alive = m.node!.membership.ml.members().filter((n) => n.state === "alive").length;
        seen = Math.min(seen, alive);
      }
      if (seen !== last) {
        last = seen;
        progress({ type: "forming", seen, expected: running.length });
      }
      if (seen >= running.length) return true;
      if (Date.now() > deadline || signal?.aborted === true) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops member `index` abruptly: no leave message, so its peers have to detect the failure. */
  async kill(index: number): Promise<void> {
    const m = this.member(index);
    const node = m.node;
    if (node === null) return;
    m.node = null;
    await node.membership.shutdown();
    node.server.close();
    closeAllConnections(node.server);
    await node.broker.close();
  }

  /**
   * Starts a killed (or stopped) member again, on the same ports, and joins the others. Resolves
   * false, doing nothing, when it is running already.
   */
  async restart(index: number): Promise<boolean> {
    const m = this.member(index);
    if (m.node !== null) return false;
    await this.launch(m, false);
    return true;
  }

  /**
   * Every running node leaves gracefully and stops, one after the other (last started first), so
   * each goodbye has someone left to hear it. `onStopped` is told as each one is done.
   */
  async stop(onStopped: (name: string) => void = () => {}): Promise<void> {
    for (const m of [...this.members].reverse()) {
      const node = m.node;
      if (node === null) continue;
      m.node = null;
      await node.stop();
      onStopped(m.name);
    }
  }

  private member(index: number): DemoMember {
    const m = this.members[index];
    if (m === undefined) throw new BrokerConfigError(`no demo node ${index + 1}`);
    return m;
  }

  /** Starts one node; on first start it picks free ports, later it reuses them. */
  private async launch(m: DemoMember, first: boolean): Promise<void> {
    const o = this.options;
    for (let attempt = 0; ; attempt++) {
      if (first) {
        // Ports of members already placed are skipped even when they are free right now (killed).
        const usedGossip = new Set(this.members.filter((x) => x !== m).map((x) => x.gossipPort));
        const usedHttp = new Set(this.members.filter((x) => x !== m).map((x) => x.httpPort));
        const after = (base: number, used: Set<number>) =>
          base === 0 ? 0 : Math.max(base + m.index, ...[...used].filter((p) => p > 0).map((p) => p + 1));
        m.gossipPort = await findFreePort(o.host, after(o.gossipPort, usedGossip) + attempt, {
          udp: true,
          avoid: usedGossip,
        });
        m.httpPort = await findFreePort(o.host, after(o.httpPort, usedHttp) + attempt, {
          udp: false,
          avoid: usedHttp,
        });
      }
      const seeds = this.members
        .filter((x) => x !== m && x.node !== null)
        .map((x) => joinHostPort(o.host, x.gossipPort));
      const args = [
        "--node.name",
        m.name,
        "--bind.addr",
        o.host,
        "--gossip.port",
        String(m.gossipPort),
        "--http.server.port",
        String(m.httpPort),
        "--gossip.profile",
        o.profile,
        "--gossip.hosts",
        seeds.join(","),
        "--shutdown.timeout",
        `${o.shutdownTimeoutMs ?? 5_000}ms`,
        "--log.level",
        o.logLevel,
      ];
      const parsed = parseStartArgs(args, {});
      if (!("config" in parsed)) throw new BrokerConfigError("unexpected --help or --version");
      const logger = createLogger(parsed.logLevel, { node: m.name });
      try {
        const node = await startShoalNode(parsed.config, logger);
        m.node = node;
        m.httpPort = node.httpPort;
        m.gossipPort = node.gossipPort;
        return;
      } catch (err) {
        // Someone took the port between the check and the bind: try the next ones.
        if (!first || attempt >= 5) throw err;
      }
    }
  }
}

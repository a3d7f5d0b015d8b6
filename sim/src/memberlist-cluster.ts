/**
 * Real Memberlist instances on the simulator: each node's process builds a Memberlist on its own
 * virtual Runtime and simulated Transport, exactly as an application would with real sockets.
 */
import {
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  Memberlist,
  type MemberlistConfig,
  silentLogger,
} from "@shoal/memberlist";
import type { LinkProfile } from "./link-profile.ts";
import type { SimNode } from "./node.ts";
import { Rng, StreamPurpose } from "./prng.ts";
import { Simulator, type SimulatorOptions } from "./simulator.ts";

export type Preset = "lan" | "wan" | "local";

/** The Go preset a scenario starts from. */
export function presetConfig(preset: Preset): MemberlistConfig {
  if (preset === "wan") return defaultWANConfig();
  if (preset === "local") return defaultLocalConfig();
  return defaultLANConfig();
}

export interface MemberlistClusterOptions extends Omit<SimulatorOptions, "link"> {
  link?: LinkProfile;
  preset?: Preset;
  /** Overrides on top of the preset, for every node. */
  config?: Partial<MemberlistConfig>;
  /** Per-node overrides on top of `config` (e.g. a delegate holding the node's metadata). */
  configFor?: (node: SimNode<Memberlist>) => Partial<MemberlistConfig>;
  /** Called once per process with its Memberlist, before it joins: attach event listeners here. */
  onCreate?: (node: SimNode<Memberlist>, ml: Memberlist) => void;
}

/** A cluster of real Memberlist nodes on one simulator. */
export class MemberlistCluster {
  readonly sim: Simulator<Memberlist>;
  readonly config: MemberlistConfig;
  /** Scenario-level draws (join targets), apart from every node's own stream. */
  readonly rng: Rng;

  constructor(options: MemberlistClusterOptions) {
    const base = { ...presetConfig(options.preset ?? "lan"), ...options.config };
    this.config = base;
    this.rng = new Rng(options.seed, StreamPurpose.Scenario);
    const onCreate = options.onCreate;
    const configFor = options.configFor;
    this.sim = new Simulator<Memberlist>(options, async (ctx) => {
      const ml = await Memberlist.create({
        ...base,
        ...configFor?.(ctx.node),
        name: ctx.name,
        bindAddr: ctx.address.host,
        bindPort: ctx.address.port,
        advertiseAddr: "",
        advertisePort: ctx.address.port,
        transport: ctx.transport,
        runtime: ctx.runtime,
        logger: silentLogger,
      });
      onCreate?.(ctx.node, ml);
      return ml;
    });
  }

  /** The "host:port" of node `id`. */
  addressOf(id: number): string {
    const n = this.sim.node(id);
    return `${n.ip}:${n.port}`;
  }

  /**
   * Adds `count` nodes; node i starts at `startMs + i * spacingMs` and joins up to `fanout` nodes
   * started before it (node 0 always among them, so there is one cluster). Returns the new ids.
   */
  grow(count: number, options: { startMs?: number; spacingMs?: number; fanout?: number } = {}): number[] {
    const start = options.startMs ?? this.sim.now;
    const spacing = options.spacingMs ?? 10;
    const fanout = options.fanout ?? 1;
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = start + i * spacing;
      const node = this.sim.addNode({ atMs: at });
      ids.push(node.id);
      if (node.id === 0) continue;
      const targets = new Set<number>([0]);
      const pool = node.id;
      while (targets.size < Math.min(fanout, pool)) targets.add(this.rng.int(pool));
      const addrs = [...targets].map((t) => this.addressOf(t));
      // Join just after the process is up; a failed join is weather, not a bug.
      this.sim.at(at + 1, () => {
        const ml = node.app;
        if (ml === null) return;
        return ml.join(addrs).catch(() => {});
      });
    }
    return ids;
  }

  /**
   * Adds `count` nodes that start at `startMs` (default: now) as one formed cluster: every node knows
   * every other, nothing is queued to gossip, loops are staggered over the full cluster's intervals
   * (see `Memberlist.formCluster`). The state a cluster grown by joins reaches once its gossip has died
   * down, without the O(N² log N) join storm; nodes share one copy of the member records until a
   * record changes. Returns the new ids.
   */
  form(count: number, options: { startMs?: number } = {}): number[] {
    const at = options.startMs ?? this.sim.now;
    const nodes = Array.from({ length: count }, () => this.sim.addNode({ atMs: at }));
    // Runs after every process above has started (same instant, later in order).
    this.sim.at(at, () => {
      const apps: Memberlist[] = [];
      for (const n of nodes) if (n.app !== null) apps.push(n.app);
      Memberlist.formCluster(apps);
    });
    return nodes.map((n) => n.id);
  }

  /**
   * Runs until every running node sees exactly the running nodes as members (checked every
   * `checkEveryMs`), or until `deadlineMs`. Returns the virtual time it happened, or null.
   */
  async runUntilConverged(deadlineMs: number, checkEveryMs = 250): Promise<number | null> {
    while (this.sim.now < deadlineMs) {
      await this.sim.run(Math.min(deadlineMs, this.sim.now + checkEveryMs));
      if (this.converged()) return this.sim.now;
    }
    return null;
  }

  /** True if every running node counts exactly the running nodes as members. */
  converged(): boolean {
    let running = 0;
    for (const n of this.sim.nodes) if (n.app !== null) running++;
    for (const n of this.sim.nodes) if (n.app !== null && n.app.numMembers() !== running) return false;
    return true;
  }

  /** Members each running node currently sees (alive or suspect), by node id; null when not running. */
  memberCounts(): (number | null)[] {
    return this.sim.nodes.map((n) => (n.app === null ? null : n.app.numMembers()));
  }
}

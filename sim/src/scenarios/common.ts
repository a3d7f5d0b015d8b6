/**
 * What every protocol scenario starts with: a converged cluster of real Memberlist nodes with an
 * observer on every node, on a network whose loss is switched on once the cluster has formed. The
 * cluster is grown by joins, or started formed.
 */
import type { Memberlist, MemberlistConfig } from "@shoal/memberlist";
import { type LinkProfile, lanLink } from "../link-profile.ts";
import { MemberlistCluster, type Preset } from "../memberlist-cluster.ts";
import type { SimNode } from "../node.ts";
import { NewsObserver } from "../observer.ts";

export interface ScenarioOptions {
  nodes: number;
  /** Datagram loss once the cluster has formed, in [0, 1]. */
  loss: number;
  seed: number;
  preset: Preset;
  /** Go's enableCompression (LZW) for every node. */
  compress: boolean;
  /** Extra engine options for every node (lagAwareness, rejoinInterval, …). */
  config?: Partial<MemberlistConfig>;
  link?: LinkProfile;
  /** Printed with any failure. */
  replayCommand: string;
  /** See SimulatorOptions.stallBacklog. */
  stallBacklog?: "in-order" | "timers-first";
  /**
   * `grown` (default): members start 5 ms apart and join node 0, and the run waits for the join
   * storm to converge. `formed`: the cluster starts formed (`MemberlistCluster.form`), which skips
   * the O(N² log N) storm and lets one process hold 10,000 members.
   */
  start?: "grown" | "formed";
}

export interface FormedCluster {
  cluster: MemberlistCluster;
  observer: NewsObserver;
  /** Virtual ms at which every member saw every other. */
  convergedAt: number;
  /** Wall ms the formation took. */
  formationWallMs: number;
}

/** Room for nodes added after formation (news subjects, restarts on new ids). */
const SPARE_NODES = 16;

/**
 * Starts `nodes` members 5 ms apart, each joining node 0, and runs until all agree on the membership
 * (or starts them formed, per `o.start`); lets the gossip settle for `settleMs`, then applies the loss.
 */
export async function formCluster(
  o: ScenarioOptions,
  extra: { configFor?: (node: SimNode<Memberlist>) => Partial<MemberlistConfig>; settleMs?: number } = {},
): Promise<FormedCluster> {
  const wall0 = performance.now();
  const observer = new NewsObserver(o.nodes + SPARE_NODES);
  const link = o.link ?? lanLink();
  const cluster: MemberlistCluster = new MemberlistCluster({
    seed: o.seed,
    preset: o.preset,
    link: { ...link, loss: 0 },
    config: { enableCompression: o.compress, ...o.config },
    replayCommand: o.replayCommand,
    stallBacklog: o.stallBacklog ?? "in-order",
    ...(extra.configFor ? { configFor: extra.configFor } : {}),
    onCreate: (node, ml) => observer.attach(node, ml, () => cluster.sim.now),
  });
  let convergedAt: number | null;
  if (o.start === "formed") {
    cluster.form(o.nodes);
    await cluster.sim.runFor(1);
    convergedAt = cluster.sim.now;
  } else {
    const spacing = 5;
    cluster.grow(o.nodes, { spacingMs: spacing });
    const deadline = o.nodes * spacing + 120_000;
    convergedAt = await cluster.runUntilConverged(deadline);
    if (convergedAt === null) {
      throw cluster.sim.failureOf(
        `the ${o.nodes}-node cluster did not converge within ${deadline} virtual ms`,
      );
    }
  }
  await cluster.sim.runFor(extra.settleMs ?? 5000);
  cluster.sim.network.defaultLink = { ...link, loss: o.loss };
  return { cluster, observer, convergedAt, formationWallMs: performance.now() - wall0 };
}

/** Ids of the nodes running now. */
export function runningIds(cluster: MemberlistCluster): number[] {
  return cluster.sim.nodes.filter((n) => n.app !== null).map((n) => n.id);
}

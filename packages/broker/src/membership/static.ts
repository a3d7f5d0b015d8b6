/**
 * In-process membership: a {@link StaticCluster} is a shared registry that several brokers in one
 * process join. Joins and leaves are seen by everyone immediately. For tests and embedding.
 */
import type { Membership, MembershipStatus, Peer, PeerChange } from "./membership.ts";

export class StaticCluster {
  private readonly members = new Map<string, StaticMembership>();

  /** Adds a member; every other member is told at once. */
  join(name: string, httpAddr: string): StaticMembership {
    const member = new StaticMembership(this, { name, httpAddr });
    for (const other of this.members.values()) other.emit({ type: "join", peer: member.self });
    this.members.set(name, member);
    return member;
  }

  /** @internal */
  remove(name: string): void {
    const member = this.members.get(name);
    if (member === undefined) return;
    this.members.delete(name);
    for (const other of this.members.values()) other.emit({ type: "leave", peer: member.self });
  }

  /** @internal */
  list(): StaticMembership[] {
    return [...this.members.values()];
  }
}

export class StaticMembership implements Membership {
  private readonly listeners = new Set<(change: PeerChange) => void>();

  constructor(
    private readonly cluster: StaticCluster,
    readonly self: Peer,
  ) {}

  get localName(): string {
    return this.self.name;
  }

  peers(): Peer[] {
    return this.cluster
      .list()
      .filter((m) => m !== this)
      .map((m) => m.self);
  }

  onChange(fn: (change: PeerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  status(): MembershipStatus {
    const members = this.cluster.list().map((m) => ({
      name: m.self.name,
      gossipAddr: m.self.httpAddr,
      httpAddr: m.self.httpAddr,
      state: "alive",
    }));
    return { memberCount: members.length, members, healthScore: 0 };
  }

  async leave(_timeoutMs: number): Promise<void> {
    this.cluster.remove(this.self.name);
  }

  async shutdown(): Promise<void> {
    this.cluster.remove(this.self.name);
  }

  /** @internal */
  emit(change: PeerChange): void {
    for (const fn of this.listeners) fn(change);
  }
}

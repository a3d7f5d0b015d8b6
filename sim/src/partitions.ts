/**
 * Network partitions as a small list of rules "nothing from group A reaches group B". A two-way
 * partition is two rules. Checking a packet costs one set lookup per active rule, and nothing when
 * the network is whole.
 */

interface Rule {
  id: number;
  from: ReadonlySet<number>;
  to: ReadonlySet<number>;
}

export class PartitionTable {
  private rules: Rule[] = [];
  private nextId = 1;

  /** Number of active one-way rules. */
  get size(): number {
    return this.rules.length;
  }

  /**
   * Blocks traffic from every node in `from` to every node in `to` (node ids); with `twoWay`,
   * the reverse direction too. Returns a handle for {@link heal}.
   */
  block(from: Iterable<number>, to: Iterable<number>, twoWay: boolean): number {
    const id = this.nextId++;
    const a = new Set(from);
    const b = new Set(to);
    this.rules.push({ id, from: a, to: b });
    if (twoWay) this.rules.push({ id, from: b, to: a });
    return id;
  }

  /** Removes the rules created under `id`. Unknown ids are ignored. */
  heal(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  /** Removes every rule. */
  healAll(): void {
    this.rules = [];
  }

  /** True if a packet from node `from` to node `to` is dropped by a partition. */
  blocked(from: number, to: number): boolean {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.from.has(from) && r.to.has(to)) return true;
    }
    return false;
  }
}

/**
 * The member table: every known member in probe order, plus an index by name. The engine reaches it
 * through {@link Members}, which a formed cluster's shared table (formed-cluster.ts) also implements.
 */

import type { NodeRecord } from "./node-record.ts";

/** What the engine needs of a member table. */
export interface Members {
  /** Members in probe order (reshuffled in place at each reap). */
  readonly order: NodeRecord[];
  readonly size: number;
  get(name: string): NodeRecord | undefined;
  /** Adds a new member at `position` in the probe order (the member there moves to the end). */
  insert(record: NodeRecord, position: number): void;
  /** The record to change in place for `record` (itself, unless the table shares it with others). */
  writable(record: NodeRecord): NodeRecord;
  /** Keeps the members for which `keep` is true, in order. */
  retain(keep: (n: NodeRecord) => boolean): void;
}

/** Puts `record` at `position` of `order`, moving the member there to the end. */
export function insertAt(order: NodeRecord[], record: NodeRecord, position: number): void {
  const n = order.length;
  order.push(record);
  const displaced = order[position]!;
  order[position] = record;
  order[n] = displaced;
}

/** A table that owns every record and changes them in place, as memberlist does. */
export class MemberTable implements Members {
  order: NodeRecord[] = [];
  private readonly byName = new Map<string, NodeRecord>();

  get size(): number {
    return this.order.length;
  }

  get(name: string): NodeRecord | undefined {
    return this.byName.get(name);
  }

  insert(record: NodeRecord, position: number): void {
    this.byName.set(record.name, record);
    insertAt(this.order, record, position);
  }

  writable(record: NodeRecord): NodeRecord {
    return record;
  }

  retain(keep: (n: NodeRecord) => boolean): void {
    const kept: NodeRecord[] = [];
    for (const n of this.order) {
      if (keep(n)) kept.push(n);
      else this.byName.delete(n.name);
    }
    this.order = kept;
  }
}

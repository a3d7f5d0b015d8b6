/**
 * The member table: every known member in probe order, plus an index by name.
 *
 * A table may also sit on a shared, read-only view of a whole cluster ({@link SharedMembers}, made by
 * formed-cluster.ts for the simulator); it then copies a record on its first write to it (copy on
 * write) and keeps its own copies, additions and removals apart. A table built without a view owns
 * every record and writes in place, as memberlist does.
 */

import type { Runtime } from "../driver.ts";
import type { SharedMembers } from "./formed-cluster.ts";
import { copyRecord, type NodeRecord } from "./node-record.ts";
import { shuffle } from "./random.ts";

export class MemberTable {
  /** Members in probe order. */
  order: NodeRecord[] = [];
  /** Records this table owns, by name; `null` marks a shared member this table has removed. */
  private readonly own = new Map<string, NodeRecord | null>();
  private shared: ReadonlyMap<string, NodeRecord> | null = null;

  get size(): number {
    return this.order.length;
  }

  get(name: string): NodeRecord | undefined {
    const mine = this.own.get(name);
    if (mine !== undefined) return mine ?? undefined;
    return this.shared?.get(name);
  }

  /** Adds a new member at `position` in the probe order (the member there moves to the end). */
  insert(record: NodeRecord, position: number): void {
    this.own.set(record.name, record);
    const n = this.order.length;
    this.order.push(record);
    const displaced = this.order[position]!;
    this.order[position] = record;
    this.order[n] = displaced;
  }

  /** The record to change in place: `record` itself, or this table's own copy of a shared one. */
  writable(record: NodeRecord): NodeRecord {
    if (this.shared === null || this.own.get(record.name) === record) return record;
    const copy = copyRecord(record);
    this.own.set(record.name, copy);
    const i = this.order.indexOf(record);
    if (i >= 0) this.order[i] = copy;
    return copy;
  }

  /** Keeps the members for which `keep` is true, in order. */
  retain(keep: (n: NodeRecord) => boolean): void {
    const kept: NodeRecord[] = [];
    for (const n of this.order) {
      if (keep(n)) kept.push(n);
      else if (this.shared?.has(n.name)) this.own.set(n.name, null);
      else this.own.delete(n.name);
    }
    this.order = kept;
  }

  /**
   * Takes every member of `view` this table does not own yet (its own records, such as the local
   * node's, stay), and shuffles the probe order. For a freshly created engine only: the view must not
   * change afterwards.
   */
  adopt(view: SharedMembers, runtime: Runtime): void {
    this.shared = view.byName;
    // One bulk copy, then put our own few records in place of their shared versions.
    const order = view.records.slice();
    for (const mine of this.order) {
      const theirs = view.byName.get(mine.name);
      const i = theirs === undefined ? -1 : order.indexOf(theirs);
      if (i >= 0) order[i] = mine;
      else order.push(mine);
    }
    this.order = order;
    shuffle(runtime, order);
  }
}

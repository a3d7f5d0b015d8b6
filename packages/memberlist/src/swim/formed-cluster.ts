/**
 * Starting a cluster already formed (Memberlist.formCluster): simulator machinery, kept here and out
 * of the protocol code. Real clusters form by joining; the simulator starts thousands of nodes at once
 * in the state the join gossip would have left them in, and lets them share one read-only copy of the
 * member records through a copy-on-write member table, so N nodes hold N records rather than N².
 */
import type { Runtime } from "../driver.ts";
import { ConfigError } from "../errors.ts";
import type { Engine } from "./engine.ts";
import { insertAt, type Members } from "./member-table.ts";
import { copyRecord, type NodeRecord } from "./node-record.ts";
import { shuffle } from "./random.ts";

/** A read-only view of a cluster's members that many tables may share. Never mutated once shared. */
export interface SharedMembers {
  readonly byName: ReadonlyMap<string, NodeRecord>;
  readonly records: readonly NodeRecord[];
}

/**
 * Makes fresh engines (running, knowing only themselves) one formed cluster. ConfigError, before any
 * engine changes, if one is stopped or has met others, or two share a name.
 */
export function formCluster(engines: readonly Engine[]): void {
  const byName = new Map<string, NodeRecord>();
  const records: NodeRecord[] = [];
  for (const e of engines) {
    const me = e.members.get(e.config.name);
    if (e.stopped || me === undefined || e.members.size !== 1) {
      throw new ConfigError(`formCluster takes fresh nodes that have not joined: '${e.config.name}' is not`);
    }
    if (byName.has(me.name)) throw new ConfigError(`two nodes are named '${me.name}'`);
    // Frozen: a write to a shared record would be an engine bug, so make it loud.
    const shared = Object.freeze(copyRecord(me));
    byName.set(me.name, shared);
    records.push(shared);
  }
  const view: SharedMembers = { byName, records };
  for (const e of engines) adoptFormedCluster(e, view);
}

/**
 * Makes a fresh engine a member of an already formed cluster, as if it had joined long ago and the
 * gossip about the joins had died down: it takes every member of `view` (shared, copied only on
 * change), drops its queued broadcasts, and re-staggers its loops over the grown cluster's intervals.
 * No join events are raised.
 */
function adoptFormedCluster(e: Engine, view: SharedMembers): void {
  e.replaceMemberTable(new SharedMemberTable(view, e.members.order, e.runtime));
  e.recountMembers();
  e.broadcasts.reset();
  e.restaggerLoops();
}

/**
 * A member table on a shared, read-only view of a whole cluster: it copies a record on its first
 * write to it (copy on write) and keeps its own copies, additions and removals apart, so the view is
 * never changed and other tables go on seeing it.
 */
export class SharedMemberTable implements Members {
  order: NodeRecord[];
  /** Records this table owns, by name; `null` marks a shared member this table has removed. */
  private readonly own = new Map<string, NodeRecord | null>();
  private readonly shared: ReadonlyMap<string, NodeRecord>;

  /**
   * Takes every member of `view`, with `mine` (the records the table owned so far, such as the local
   * node's) in place of their shared versions, and shuffles the probe order. The view must not change
   * afterwards.
   */
  constructor(view: SharedMembers, mine: readonly NodeRecord[], runtime: Runtime) {
    this.shared = view.byName;
    // One bulk copy, then put our own few records in place of their shared versions.
    const order = view.records.slice();
    for (const r of mine) {
      this.own.set(r.name, r);
      const theirs = view.byName.get(r.name);
      const i = theirs === undefined ? -1 : order.indexOf(theirs);
      if (i >= 0) order[i] = r;
      else order.push(r);
    }
    this.order = order;
    shuffle(runtime, order);
  }

  get size(): number {
    return this.order.length;
  }

  get(name: string): NodeRecord | undefined {
    const mine = this.own.get(name);
    if (mine !== undefined) return mine ?? undefined;
    return this.shared.get(name);
  }

  insert(record: NodeRecord, position: number): void {
    this.own.set(record.name, record);
    insertAt(this.order, record, position);
  }

  writable(record: NodeRecord): NodeRecord {
    if (this.own.get(record.name) === record) return record;
    const copy = copyRecord(record);
    this.own.set(record.name, copy);
    const i = this.order.indexOf(record);
    if (i >= 0) this.order[i] = copy;
    return copy;
  }

  retain(keep: (n: NodeRecord) => boolean): void {
    const kept: NodeRecord[] = [];
    for (const n of this.order) {
      if (keep(n)) kept.push(n);
      else if (this.shared.has(n.name)) this.own.set(n.name, null);
      else this.own.delete(n.name);
    }
    this.order = kept;
  }
}

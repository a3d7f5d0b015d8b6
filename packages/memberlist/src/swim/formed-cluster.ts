/**
 * Starting a cluster already formed (Memberlist.formCluster): simulator machinery, kept here and out
 * of the protocol code. Real clusters form by joining; the simulator starts thousands of nodes at once
 * in the state the join gossip would have left them in, and lets them share one read-only copy of the
 * member records (each engine's MemberTable copies a record on its first write to it), so N nodes
 * hold N records rather than N².
 */
import { ConfigError } from "../errors.ts";
import type { Engine } from "./engine.ts";
import { copyRecord, type NodeRecord } from "./node-record.ts";

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
  e.members.adopt(view, e.runtime);
  e.recountMembers();
  e.broadcasts.reset();
  e.restaggerLoops();
}

/**
 * Member state transitions: alive, suspect, dead/left, refutation, reaping, and merging a remote
 * push/pull state. The rules are memberlist's (memberlist-wire.md §10.4-§10.8): incarnation numbers
 * order the news about a node, and only the node itself may refute a rumour about itself.
 */
import { ConfigError } from "../errors.ts";
import type { Node } from "../types.ts";
import { bytesEqual, bytesToIp, MetaMaxSize } from "../wire/index.ts";
import type { Alive, Dead, PushNodeState, Suspect } from "../wire/messages.ts";
import { MessageType, NodeState } from "../wire/messages.ts";
import { type Engine, Lifecycle } from "./engine.ts";
import { suspicionConfirmationsWanted, suspicionTimeout } from "./formulas.ts";
import { encodeAndBroadcast } from "./member-broadcast.ts";
import { isDeadOrLeft, type NodeRecord, nameOfStateCode, toPublicNode } from "./node-record.ts";
import { shuffle } from "./random.ts";
import { Suspicion } from "./suspicion.ts";

const unknownVsn = new Uint8Array(6);
const noMeta = new Uint8Array(0);

/**
 * What a record keeps of received bytes. The decoder already hands us fresh copies, so no copy is made;
 * the common cases (our own version vector, no metadata) share one array per engine, which matters when
 * the simulator holds millions of records.
 */
function keepVsn(e: Engine, vsn: Uint8Array): Uint8Array {
  if (vsn.length < 6) return unknownVsn;
  const mine = e.localVsn;
  if (vsn.length === 6 && bytesEqual(vsn, mine)) return mine;
  return vsn.length === 6 ? vsn : vsn.slice(0, 6);
}

/** Byte equality of two IP addresses (4 or 16 bytes), kept small and monomorphic for the hot path. */
function sameAddr(x: Uint8Array, y: Uint8Array): boolean {
  const n = x.length;
  if (n !== y.length) return false;
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}

function keepMeta(meta: Uint8Array): Uint8Array {
  return meta.length === 0 ? noMeta : meta;
}

/** Marks ourselves alive with a fresh incarnation and our current metadata, and gossips it. */
export function setAlive(e: Engine, notify: (() => void) | null = null): void {
  // Copied: the delegate may reuse its buffer.
  const meta = (e.config.delegate?.nodeMeta?.(MetaMaxSize) ?? noMeta).slice();
  if (meta.length > MetaMaxSize) {
    throw new ConfigError(`node metadata is ${meta.length} bytes; the limit is ${MetaMaxSize}`);
  }
  const a: Alive = {
    incarnation: e.nextIncarnation(),
    node: e.config.name,
    addr: e.advertise.addrBytes,
    port: e.advertise.port,
    meta,
    vsn: e.localVsn,
  };
  aliveNode(e, a, notify, true);
}

/**
 * The fast path for the bulk of gossip and push/pull: old news about a known member at the same
 * address. aliveNode's full checks would reach the same verdict (ignore); they only matter for new or
 * conflicting news.
 */
function isOldNews(
  e: Engine,
  known: NodeRecord | undefined,
  isLocal: boolean,
  incarnation: number,
  port: number,
  addr: Uint8Array,
): boolean {
  return (
    known !== undefined &&
    !isLocal &&
    e.config.alive === undefined &&
    incarnation <= known.incarnation &&
    port === known.port &&
    sameAddr(known.addr, addr)
  );
}

/** Applies an alive message (§10.7). `bootstrap` is true only for our own start-up and updates. */
export function aliveNode(e: Engine, a: Alive, notify: (() => void) | null, bootstrap: boolean): void {
  const isLocal = a.node === e.config.name;
  if (e.lifecycle !== Lifecycle.Running && isLocal) return;

  const known = e.members.get(a.node);
  if (isOldNews(e, known, isLocal, a.incarnation, a.port, a.addr)) return;

  if (a.vsn.length >= 3) {
    const pMin = a.vsn[0]!;
    const pMax = a.vsn[1]!;
    if (pMin === 0 || pMax === 0 || pMin > pMax) {
      e.log.warn("ignoring an alive message with an invalid protocol version range", { node: a.node });
      return;
    }
  }
  if (e.config.alive) {
    if (a.vsn.length < 6) return;
    try {
      e.config.alive.notifyAlive(nodeFromAlive(a));
    } catch (err) {
      e.log.warn("ignoring an alive message: the alive delegate refused it", {
        node: a.node,
        err: String(err),
      });
      return;
    }
  }

  let state = known;
  let updatesNode = false;
  if (!state) {
    if (!e.ipAllowed(a.addr)) {
      e.log.warn("rejected a node whose address is not in cidrsAllowed", { node: a.node });
      return;
    }
    state = {
      name: a.node,
      addr: a.addr,
      host: safeIp(a.addr),
      port: a.port,
      meta: keepMeta(a.meta),
      incarnation: 0,
      state: NodeState.Dead,
      stateChange: e.runtime.now(),
      vsn: keepVsn(e, a.vsn),
    };
    e.insertMember(state);
  } else if (!bytesEqual(state.addr, a.addr) || state.port !== a.port) {
    if (!e.ipAllowed(a.addr)) {
      e.log.warn("rejected an address change that is not in cidrsAllowed", { node: a.node });
      return;
    }
    const reclaim = e.config.deadNodeReclaimTime;
    const canReclaim = reclaim > 0 && e.runtime.now() - state.stateChange > reclaim;
    if (state.state === NodeState.Left || (state.state === NodeState.Dead && canReclaim)) {
      e.log.info("updating the address of a node", { node: a.node });
      updatesNode = true;
    } else {
      e.log.warn("conflicting address for a node name", {
        node: a.node,
        mine: `${state.host}:${state.port}`,
        theirs: `${safeIp(a.addr)}:${a.port}`,
      });
      if (isLocal) e.noteNameConflict(`${safeIp(a.addr)}:${a.port}`);
      e.config.conflict?.notifyConflict(toPublicNode(state), nodeFromAlive(a));
      return;
    }
  }

  // Older news is ignored; for ourselves, equal news may still need a refutation below.
  if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return;
  if (a.incarnation < state.incarnation && isLocal) return;

  e.cancelSuspicion(a.node);
  state = e.members.writable(state);
  const oldState = state.state;
  const oldMeta = state.meta;

  if (!bootstrap && isLocal) {
    // Someone gossips about us: fine if it is exactly what we said, otherwise correct it.
    if (
      a.incarnation === state.incarnation &&
      bytesEqual(a.meta, state.meta) &&
      bytesEqual(a.vsn, state.vsn)
    ) {
      return;
    }
    refute(e, state, a.incarnation);
    e.log.warn("refuting an alive message about us", { incarnation: a.incarnation });
  } else {
    encodeAndBroadcast(e, a.node, { type: MessageType.Alive, body: a }, notify);
    if (a.vsn.length >= 6) state.vsn = keepVsn(e, a.vsn);
    state.incarnation = a.incarnation;
    state.meta = keepMeta(a.meta);
    if (updatesNode || !bytesEqual(state.addr, a.addr)) {
      state.addr = a.addr;
      state.host = safeIp(a.addr);
    }
    state.port = a.port;
    if (state.state !== NodeState.Alive) {
      state.state = NodeState.Alive;
      state.stateChange = e.runtime.now();
    }
  }

  e.metrics.incrCounter(["memberlist", "msg", "alive"], 1);

  if (oldState === NodeState.Dead || oldState === NodeState.Left) {
    e.hooks.join(toPublicNode(state));
  } else if (!bytesEqual(oldMeta, state.meta)) {
    e.hooks.update(toPublicNode(state));
  }
}

/** Applies a suspect message (§10.4): starts or confirms a suspicion, or refutes one about us. */
export function suspectNode(e: Engine, s: Suspect): void {
  const known = e.members.get(s.node);
  if (!known || s.incarnation < known.incarnation) return;

  const existing = e.suspicionOf(s.node);
  if (existing) {
    if (existing.confirm(s.from)) encodeAndBroadcast(e, s.node, { type: MessageType.Suspect, body: s });
    return;
  }
  if (known.state !== NodeState.Alive) return;

  if (s.node === e.config.name) {
    refute(e, known, s.incarnation);
    e.log.warn("refuting a suspect message", { from: s.from });
    return;
  }

  encodeAndBroadcast(e, s.node, { type: MessageType.Suspect, body: s });
  e.metrics.incrCounter(["memberlist", "msg", "suspect"], 1);
  const state = e.members.writable(known);
  state.incarnation = s.incarnation;
  state.state = NodeState.Suspect;
  const changeTime = e.runtime.now();
  state.stateChange = changeTime;

  const n = e.numNodes;
  const k = suspicionConfirmationsWanted(e.config.suspicionMult, n);
  const min = suspicionTimeout(e.config.suspicionMult, n, e.config.probeInterval);
  const max = e.config.suspicionMaxTimeoutMult * min;
  const onTimeout = (confirmations: number) => {
    e.forgetSuspicion(s.node);
    const st = e.members.get(s.node);
    if (st && st.state === NodeState.Suspect && st.stateChange === changeTime) {
      // Go: the timeout ran out before the expected confirmations came (the accusers may be the sick ones).
      if (k > 0 && confirmations < k) e.metrics.incrCounter(["memberlist", "degraded", "timeout"], 1);
      e.log.info("marking a suspect node as dead", { node: s.node });
      deadNode(e, { incarnation: st.incarnation, node: st.name, from: e.config.name });
    }
  };
  e.addSuspicion(s.node, new Suspicion(e.timerRuntime, s.from, k, min, max, onTimeout));
  e.hooks.suspect({ node: s.node, from: s.from, incarnation: s.incarnation });
}

/** Applies a dead message (§10.8); `from === node` means a graceful leave. */
export function deadNode(e: Engine, d: Dead, notify: (() => void) | null = null): void {
  const known = e.members.get(d.node);
  if (!known || d.incarnation < known.incarnation) return;
  e.cancelSuspicion(d.node);
  if (isDeadOrLeft(known)) return;

  if (known.name === e.config.name) {
    if (e.lifecycle === Lifecycle.Running) {
      refute(e, known, d.incarnation);
      e.log.warn("refuting a dead message", { from: d.from });
      return;
    }
    encodeAndBroadcast(e, d.node, { type: MessageType.Dead, body: d }, notify);
  } else {
    encodeAndBroadcast(e, d.node, { type: MessageType.Dead, body: d });
  }
  e.metrics.incrCounter(["memberlist", "msg", "dead"], 1);

  const state = e.members.writable(known);
  state.incarnation = d.incarnation;
  state.state = d.node === d.from ? NodeState.Left : NodeState.Dead;
  state.stateChange = e.runtime.now();
  e.hooks.leave(toPublicNode(state));
}

/** Answers an accusation about ourselves with a higher incarnation (§10.6). */
export function refute(e: Engine, current: NodeRecord, accusedInc: number): void {
  let inc = e.nextIncarnation();
  if (accusedInc >= inc) inc = e.skipIncarnation(accusedInc - inc + 1);
  const me = e.members.writable(current);
  me.incarnation = inc;
  // Having to refute is a sign that we are the slow one.
  e.awareness.applyDelta(1);
  const a: Alive = {
    incarnation: inc,
    node: me.name,
    addr: me.addr,
    port: me.port,
    meta: me.meta,
    vsn: e.localVsn,
  };
  // Named by our own name (Go uses our IP string): the refutation then replaces any stale rumour about us.
  encodeAndBroadcast(e, me.name, { type: MessageType.Alive, body: a });
}

/** Removes dead and left members older than GossipToTheDeadTime, and reshuffles the probe order. */
export function resetNodes(e: Engine): void {
  const cutoff = e.runtime.now() - e.config.gossipToTheDeadTime;
  e.retainMembers((n) => !(isDeadOrLeft(n) && n.stateChange <= cutoff));
  shuffle(e.runtime, e.members.order);
}

/**
 * Our member table as push/pull node states: the records themselves (they have every field), so a
 * large table costs no copies. Members whose versions we never learnt are left out.
 */
export function localNodeStates(e: Engine): PushNodeState[] {
  const out: PushNodeState[] = [];
  for (const n of e.nodes) {
    // A zero version vector would make Go peers reject the whole exchange (verifyProtocol).
    if (n.vsn[1] !== 0) out.push(n);
  }
  return out;
}

/**
 * Merges a remote push/pull state (§8.3). Throws if protocol versions are incompatible or the merge
 * delegate refuses a join.
 */
export function mergeRemoteState(
  e: Engine,
  join: boolean,
  remote: PushNodeState[],
  userState: Uint8Array | null,
): void {
  verifyProtocol(e, remote);
  if (join && e.config.merge) {
    e.config.merge.notifyMerge(remote.map(nodeFromPushState));
  }
  for (const r of remote) {
    if (join && r.name === e.config.name) noteOwnNameElsewhere(e, r);
    switch (r.state) {
      case NodeState.Alive:
        // Most of a large push/pull is old news: skip it before building a message for aliveNode.
        if (isOldNews(e, e.members.get(r.name), r.name === e.config.name, r.incarnation, r.port, r.addr))
          break;
        aliveNode(
          e,
          { incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn },
          null,
          false,
        );
        break;
      case NodeState.Left:
        deadNode(e, { incarnation: r.incarnation, node: r.name, from: r.name });
        break;
      case NodeState.Dead:
      case NodeState.Suspect:
        // A remote "dead" is only a suspicion here: we let our own probes decide.
        suspectNode(e, { incarnation: r.incarnation, node: r.name, from: e.config.name });
        break;
      default:
      // An unknown state is ignored, as Go does.
    }
  }
  if (userState !== null && e.config.delegate?.mergeRemoteState) {
    e.config.delegate.mergeRemoteState(userState, join);
  }
}

/**
 * A joining node learns that the peer still holds its name at another address (a previous run
 * of this node, restarted elsewhere, not yet forgotten). Alive is handled by aliveNode; a suspect
 * one, or a dead one the peer will not let go of (no reclaim time), means the peer refuses our
 * alive for now: report a name clash so the join fails and is retried, instead of this node
 * believing it joined while the others do not know it.
 */
function noteOwnNameElsewhere(e: Engine, r: PushNodeState): void {
  const me = e.members.get(e.config.name);
  if (me === undefined || (r.port === me.port && sameAddr(r.addr, me.addr))) return;
  const refused =
    r.state === NodeState.Suspect || (r.state === NodeState.Dead && e.config.deadNodeReclaimTime <= 0);
  if (refused) e.noteNameConflict(`${safeIp(r.addr)}:${r.port}`);
}

/** A range of protocol versions every node must speak inside (Go's verifyProtocol bounds). */
interface VersionBounds {
  maxPMin: number;
  minPMax: number;
  maxDMin: number;
  minDMax: number;
}

function widen(b: VersionBounds, v: Uint8Array): void {
  const pMin = v[0]!;
  const pMax = v[1]!;
  const dMin = v[3]!;
  const dMax = v[4]!;
  if (pMin > b.maxPMin) b.maxPMin = pMin;
  if (pMax < b.minPMax) b.minPMax = pMax;
  if (dMin > b.maxDMin) b.maxDMin = dMin;
  if (dMax < b.minDMax) b.minDMax = dMax;
}

function checkVersions(b: VersionBounds, name: string, v: Uint8Array): void {
  const pCur = v.length >= 6 ? v[2]! : 0;
  const dCur = v.length >= 6 ? v[5]! : 0;
  if (pCur < b.maxPMin || pCur > b.minPMax) {
    throw new ConfigError(
      `node '${name}' protocol version (${pCur}) is incompatible: [${b.maxPMin}, ${b.minPMax}]`,
    );
  }
  if (dCur < b.maxDMin || dCur > b.minDMax) {
    throw new ConfigError(
      `node '${name}' delegate protocol version (${dCur}) is incompatible: [${b.maxDMin}, ${b.minDMax}]`,
    );
  }
}

/**
 * Go's verifyProtocol: every node must speak a version inside everyone's alive range (§9). Runs on
 * every push/pull over both tables, so it is written as plain loops.
 */
export function verifyProtocol(e: Engine, remote: readonly PushNodeState[]): void {
  const b: VersionBounds = { maxPMin: 0, minPMax: 255, maxDMin: 0, minDMax: 255 };
  for (const r of remote) if (r.state === NodeState.Alive && r.vsn.length >= 5) widen(b, r.vsn);
  const local = e.nodes;
  for (const n of local) if (n.state === NodeState.Alive && n.vsn[1] !== 0) widen(b, n.vsn);
  for (const r of remote) checkVersions(b, r.name, r.vsn);
  for (const n of local) if (n.vsn[1] !== 0) checkVersions(b, n.name, n.vsn);
}

function safeIp(addr: Uint8Array): string {
  try {
    return bytesToIp(addr);
  } catch {
    return "invalid";
  }
}

function versionsOf(vsn: Uint8Array): Pick<Node, "pMin" | "pMax" | "pCur" | "dMin" | "dMax" | "dCur"> {
  return {
    pMin: vsn[0] ?? 0,
    pMax: vsn[1] ?? 0,
    pCur: vsn[2] ?? 0,
    dMin: vsn[3] ?? 0,
    dMax: vsn[4] ?? 0,
    dCur: vsn[5] ?? 0,
  };
}

function nodeFromAlive(a: Alive): Node {
  return {
    name: a.node,
    addr: safeIp(a.addr),
    port: a.port,
    meta: a.meta.slice(),
    state: "alive",
    incarnation: a.incarnation,
    ...versionsOf(a.vsn),
  };
}

function nodeFromPushState(r: PushNodeState): Node {
  const state = nameOfStateCode(r.state) ?? "dead";
  return {
    name: r.name,
    addr: safeIp(r.addr),
    port: r.port,
    meta: r.meta.slice(),
    state,
    incarnation: r.incarnation,
    ...versionsOf(r.vsn),
  };
}

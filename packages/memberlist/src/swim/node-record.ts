/**
 * The engine's entry for one member, and its conversion to the public {@link Node} snapshot.
 */
import type { Node, NodeStateName } from "../types.ts";
import { NodeState } from "../wire/messages.ts";

/** One row of the member table. `addr` keeps the exact bytes received: Go compares them byte-wise. */
export interface NodeRecord {
  name: string;
  addr: Uint8Array;
  /** `addr` as an IP string, computed once. */
  host: string;
  port: number;
  meta: Uint8Array;
  incarnation: number;
  state: NodeState;
  /** Runtime time of the last state change (ms). */
  stateChange: number;
  /** [PMin, PMax, PCur, DMin, DMax, DCur]; zeros until known. */
  vsn: Uint8Array;
}

/**
 * A copy with the same field order as every other record, so all records share one hidden class
 * (an object spread gives V8 objects that are several times slower to read in bulk).
 */
export function copyRecord(r: NodeRecord): NodeRecord {
  return {
    name: r.name,
    addr: r.addr,
    host: r.host,
    port: r.port,
    meta: r.meta,
    incarnation: r.incarnation,
    state: r.state,
    stateChange: r.stateChange,
    vsn: r.vsn,
  };
}

const stateNames: Record<NodeState, NodeStateName> = {
  [NodeState.Alive]: "alive",
  [NodeState.Suspect]: "suspect",
  [NodeState.Dead]: "dead",
  [NodeState.Left]: "left",
};

export function stateName(state: NodeState): NodeStateName {
  return stateNames[state];
}

/** The name of a state code from the wire, or undefined for a code memberlist does not define. */
export function nameOfStateCode(code: number): NodeStateName | undefined {
  return Object.hasOwn(stateNames, code) ? stateNames[code as NodeState] : undefined;
}

export function isDeadOrLeft(n: NodeRecord): boolean {
  return n.state === NodeState.Dead || n.state === NodeState.Left;
}

/** A copy that the caller may keep. */
export function toPublicNode(n: NodeRecord): Node {
  return {
    name: n.name,
    addr: n.host,
    port: n.port,
    meta: n.meta.slice(),
    state: stateNames[n.state],
    incarnation: n.incarnation,
    pMin: n.vsn[0] ?? 0,
    pMax: n.vsn[1] ?? 0,
    pCur: n.vsn[2] ?? 0,
    dMin: n.vsn[3] ?? 0,
    dMax: n.vsn[4] ?? 0,
    dCur: n.vsn[5] ?? 0,
  };
}

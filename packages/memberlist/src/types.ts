/**
 * Public types of `@shoal/memberlist`: nodes and delegates, with memberlist's concepts and names.
 */

/** A member's state as seen by this node. */
export type NodeStateName = "alive" | "suspect" | "dead" | "left";

/** A member of the cluster, as a snapshot (changing it changes nothing). */
export interface Node {
  name: string;
  /** IP address as a string ("10.0.0.1", "::1"). */
  addr: string;
  port: number;
  /** Application metadata, at most {@link MetaMaxSize} bytes. */
  meta: Uint8Array;
  state: NodeStateName;
  incarnation: number;
  /** Protocol versions the node speaks: min, max, current. */
  pMin: number;
  pMax: number;
  pCur: number;
  /** Delegate (application) protocol versions: min, max, current. */
  dMin: number;
  dMax: number;
  dCur: number;
}

/** Where a message is sent when there is no {@link Node} at hand (Go's `Address`). */
export interface NodeAddress {
  /** "host:port" or "[v6]:port". */
  addr: string;
  /** The node's name; optional unless `requireNodeNames` is set. */
  name?: string;
}

/**
 * Hooks into gossip for application data (Go's `Delegate`). All methods are optional.
 * They are called synchronously from the engine, so they must not block.
 */
export interface Delegate {
  /** Metadata for the local node's alive message; at most `limit` bytes. Called at start and on updateNode. */
  nodeMeta?(limit: number): Uint8Array;
  /** A user message arrived (UDP, gossip or stream). The buffer is yours to keep. */
  notifyMsg?(msg: Uint8Array): void;
  /** User broadcasts to piggyback; each must be at most `limit - overhead` bytes, and all together within `limit`. */
  getBroadcasts?(overhead: number, limit: number): Uint8Array[];
  /** Application state sent in every push/pull exchange. */
  localState?(join: boolean): Uint8Array | null;
  /** The remote side's application state from a push/pull exchange. */
  mergeRemoteState?(buf: Uint8Array, join: boolean): void;
}

/** Membership events (Go's `EventDelegate`), called serially in the order they happen. */
export interface EventDelegate {
  notifyJoin?(node: Node): void;
  /** A node died or left; `node.state` says which. */
  notifyLeave?(node: Node): void;
  /** A node's metadata changed. */
  notifyUpdate?(node: Node): void;
}

/** Told when a node claims a name another node already holds (Go's `ConflictDelegate`). */
export interface ConflictDelegate {
  notifyConflict(existing: Node, other: Node): void;
}

/** Vets the remote members of a join push/pull; throwing cancels the merge (Go's `MergeDelegate`). */
export interface MergeDelegate {
  notifyMerge(peers: Node[]): void;
}

/** Round-trip measurements from the probe loop (Go's `PingDelegate`). */
export interface PingDelegate {
  /** Payload sent in every UDP ack. */
  ackPayload(): Uint8Array;
  /** A direct probe completed; `rttMs` is the round trip, `payload` the peer's ack payload. */
  notifyPingComplete(node: Node, rttMs: number, payload: Uint8Array): void;
}

/** Vets every alive message (Go's `AliveDelegate`); throwing makes the engine ignore it. */
export interface AliveDelegate {
  notifyAlive(peer: Node): void;
}

/**
 * What the broker needs from cluster membership, and nothing more. The broker core and the
 * replicator only see this interface: the real gossip ({@link MemberlistMembership}) and the
 * in-process one for tests ({@link StaticMembership}) both implement it.
 */

/** A peer broker, as the broker sees it. */
export interface Peer {
  /** Unique node name. */
  readonly name: string;
  /** Where its HTTP server listens: `host:port`. */
  readonly httpAddr: string;
}

/** Membership change. */
export interface PeerChange {
  readonly type: "join" | "leave";
  readonly peer: Peer;
}

/** Snapshot for `/status` and `/metrics`. */
export interface MembershipStatus {
  /** Members including this node. */
  readonly memberCount: number;
  /** `name -> gossip address (host:port)` of every member, this node included. */
  readonly members: ReadonlyArray<{
    name: string;
    gossipAddr: string;
    httpAddr: string | null;
    state: string;
  }>;
  /** Lifeguard health score (0 = healthy); 0 when not applicable. */
  readonly healthScore: number;
}

export interface Membership {
  /** This node's name. */
  readonly localName: string;
  /** Live peers (alive or suspect), this node excluded, with a known HTTP address. */
  peers(): Peer[];
  /** Subscribes to peer joins and leaves; returns the unsubscribe function. */
  onChange(fn: (change: PeerChange) => void): () => void;
  status(): MembershipStatus;
  /**
   * True while this node has been told to join a cluster and has reached nobody yet (no join went
   * through, no peer appeared). Such a node cannot tell "alone" from "not joined yet": a node
   * restarted a moment ago would otherwise answer `one`/`all` publishes as the whole cluster and
   * could die with their only copy. Absent: the node never joins (its membership is given).
   */
  joining?(): boolean;
  /** Calls `fn` when {@link joining} turns false; returns the unsubscribe function. */
  onJoined?(fn: () => void): () => void;
  /** Leaves the cluster gracefully (others learn it at once rather than by failure detection). */
  leave(timeoutMs: number): Promise<void>;
  /** Stops all membership activity. */
  shutdown(): Promise<void>;
}

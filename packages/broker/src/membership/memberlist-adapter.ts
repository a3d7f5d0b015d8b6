/**
 * {@link Membership} over the real gossip, `@shoal/memberlist`. The node's HTTP address rides
 * in its memberlist metadata, supplied by `delegate.nodeMeta` so it is in the very first alive
 * message (sse-cluster set it after start, so peers that saw the first alive dialled port 80).
 *
 * The import is the memberlist's source path rather than "@shoal/memberlist": the root typecheck
 * resolves package types to `dist/`, which a fresh checkout does not have, and the CLI runs the
 * TypeScript directly.
 */
import {
  defaultLANConfig,
  defaultLocalConfig,
  joinHostPort,
  Memberlist,
  type MemberlistConfig,
  type MetricsSink,
  type Node,
} from "@shoal/memberlist";
import { BrokerConfigError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Membership, MembershipStatus, Peer, PeerChange } from "./membership.ts";

/** Metadata a broker node gossips: its HTTP port and, when it differs from the gossip address, host. */
export interface BrokerMeta {
  httpPort: number;
  httpHost?: string;
}

/** Encodes metadata as compact JSON (memberlist allows 512 bytes). */
export function encodeMeta(meta: BrokerMeta): Uint8Array {
  const obj: Record<string, unknown> = { p: meta.httpPort };
  if (meta.httpHost !== undefined && meta.httpHost !== "") obj.h = meta.httpHost;
  return new TextEncoder().encode(JSON.stringify(obj));
}

/** Decodes metadata; null when it is not a broker's (a plain memberlist node, or garbage). */
export function decodeMeta(bytes: Uint8Array): BrokerMeta | null {
  try {
    const obj = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const port = obj.p;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return null;
    const host = obj.h;
    return typeof host === "string" && host !== "" ? { httpPort: port, httpHost: host } : { httpPort: port };
  } catch {
    return null;
  }
}

export interface MemberlistMembershipOptions {
  /** Node name (unique in the cluster). */
  name: string;
  bindAddr: string;
  /** Gossip port (UDP + TCP); 0 picks one. */
  gossipPort: number;
  /** Address advertised for gossip ("" = derived from bindAddr). */
  advertiseAddr?: string;
  /** This node's HTTP port, advertised to peers. */
  httpPort: number;
  /** Host peers should use for HTTP, when not the gossip address. */
  httpHost?: string;
  /** Gossip encryption key (16, 24 or 32 bytes). */
  secretKey?: Uint8Array | null;
  /** `lan` (memberlist's defaults) or `local` (faster, for loopback and tests). */
  profile?: "lan" | "local";
  /** Where the memberlist reports its metrics (Go's names): e.g. a {@link PrometheusMetricsSink}. */
  metrics?: MetricsSink;
  /** Anything else for memberlist. */
  overrides?: Partial<MemberlistConfig>;
  logger: Logger;
}

export class MemberlistMembership implements Membership {
  private readonly listeners = new Set<(change: PeerChange) => void>();
  /** Peers as last announced, to turn address updates into leave + join. */
  private readonly known = new Map<string, Peer>();
  /** `joining` from the first {@link join} until a join goes through or a peer appears. */
  private joinState: "never" | "joining" | "reached" = "never";
  private readonly joinedListeners = new Set<() => void>();

  private constructor(readonly ml: Memberlist) {}

  /** Starts gossip (without joining anyone: see {@link join}). */
  static async create(options: MemberlistMembershipOptions): Promise<MemberlistMembership> {
    const meta = encodeMeta(
      options.httpHost === undefined
        ? { httpPort: options.httpPort }
        : { httpPort: options.httpPort, httpHost: options.httpHost },
    );
    const base = options.profile === "local" ? defaultLocalConfig() : defaultLANConfig();
    const config: Partial<MemberlistConfig> = {
      ...base,
      name: options.name,
      bindAddr: options.bindAddr,
      bindPort: options.gossipPort,
      advertiseAddr: options.advertiseAddr ?? "",
      advertisePort: 0,
      delegate: { nodeMeta: () => meta },
      logger: options.logger,
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...options.overrides,
    };
    if (options.secretKey) config.secretKey = options.secretKey;
    let ml: Memberlist;
    try {
      ml = await Memberlist.create(config);
    } catch (err) {
      throw new BrokerConfigError(`gossip could not start: ${(err as Error).message}`, { cause: err });
    }
    const m = new MemberlistMembership(ml);
    ml.on("join", (n) => m.onNode(n));
    ml.on("update", (n) => m.onNode(n));
    ml.on("leave", (n) => m.onGone(n.name));
    return m;
  }

  get localName(): string {
    return this.ml.localNode.name;
  }

  /**
   * Joins through any of `seeds` ("host:port"); resolves with the nodes reached. From the first
   * call until one succeeds (or a peer finds us first), {@link joining} is true.
   */
  join(seeds: string[]): Promise<number> {
    if (this.joinState === "never") this.joinState = "joining";
    return this.ml.join(seeds).then((reached) => {
      this.reached();
      return reached;
    });
  }

  joining(): boolean {
    return this.joinState === "joining";
  }

  onJoined(fn: () => void): () => void {
    this.joinedListeners.add(fn);
    return () => this.joinedListeners.delete(fn);
  }

  peers(): Peer[] {
    const out: Peer[] = [];
    const self = this.localName;
    for (const n of this.ml.members()) {
      if (n.name === self) continue;
      const peer = toPeer(n);
      if (peer !== null) out.push(peer);
    }
    return out;
  }

  onChange(fn: (change: PeerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  status(): MembershipStatus {
    const members = this.ml.members().map((n) => ({
      name: n.name,
      gossipAddr: joinHostPort(n.addr, n.port),
      httpAddr: toPeer(n)?.httpAddr ?? null,
      state: n.state,
    }));
    return { memberCount: members.length, members, healthScore: this.ml.healthScore };
  }

  leave(timeoutMs: number): Promise<void> {
    return this.ml.leave(timeoutMs);
  }

  shutdown(): Promise<void> {
    return this.ml.shutdown();
  }

  private onNode(n: Node): void {
    if (n.name === this.localName) return;
    const peer = toPeer(n);
    const before = this.known.get(n.name);
    if (peer === null) {
      if (before !== undefined) this.onGone(n.name);
      return;
    }
    if (before !== undefined && before.httpAddr === peer.httpAddr) return;
    this.known.set(n.name, peer);
    this.emit({ type: "join", peer });
    this.reached();
  }

  private reached(): void {
    if (this.joinState === "reached") return;
    const wasJoining = this.joinState === "joining";
    this.joinState = "reached";
    if (wasJoining) for (const fn of this.joinedListeners) fn();
  }

  private onGone(name: string): void {
    const before = this.known.get(name);
    if (before === undefined) return;
    this.known.delete(name);
    this.emit({ type: "leave", peer: before });
  }

  private emit(change: PeerChange): void {
    for (const fn of this.listeners) fn(change);
  }
}

function toPeer(n: Node): Peer | null {
  const meta = decodeMeta(n.meta);
  if (meta === null) return null;
  return { name: n.name, httpAddr: joinHostPort(meta.httpHost ?? n.addr, meta.httpPort) };
}

/**
 * Configuration, with Go memberlist's presets and their exact numbers. Durations are milliseconds.
 */
import { hostname } from "node:os";
import type { Runtime, Transport } from "./driver.ts";
import type { Logger } from "./logger.ts";
import type { MetricLabel, MetricsSink } from "./metrics.ts";
import type {
  AliveDelegate,
  ConflictDelegate,
  Delegate,
  EventDelegate,
  MergeDelegate,
  PingDelegate,
} from "./types.ts";
import type { Keyring } from "./wire/index.ts";

/** Protocol versions this implementation speaks (same as Go memberlist). */
export const ProtocolVersionMin = 1;
export const ProtocolVersionMax = 5;
/** The default protocol version: the newest one every Go release can talk to. */
export const ProtocolVersion2Compatible = 2;

export interface MemberlistConfig {
  /** This node's name; must be unique in the cluster. Default: the host name. */
  name: string;
  /** Moves the bytes. Default: UDP + TCP on bindAddr:bindPort. */
  transport?: Transport;
  /** Time and randomness. Default: the real clock and node:crypto. The simulator injects its own. */
  runtime?: Runtime;
  /** Cluster label: traffic with another label is dropped. "" means none (required to talk to Go 0.2.x). */
  label: string;
  /** Accept traffic without a label header even though a label is configured (migration aid). */
  skipInboundLabelCheck: boolean;
  bindAddr: string;
  bindPort: number;
  /** Address advertised to peers; "" picks one from the bind address. */
  advertiseAddr: string;
  /** Port advertised to peers; 0 means the bound port. */
  advertisePort: number;
  /** Protocol version to speak, ProtocolVersionMin..ProtocolVersionMax. */
  protocolVersion: number;
  /** Deadline for a whole stream exchange (push/pull, reliable message) and for dialing. */
  tcpTimeout: number;
  /** Members asked to ping a node that missed its direct probe. */
  indirectChecks: number;
  /** Each broadcast is sent RetransmitMult * ceil(log10(N+1)) times. */
  retransmitMult: number;
  /** Suspicion timeout = SuspicionMult * max(1, log10(N)) * ProbeInterval at least. */
  suspicionMult: number;
  /** Suspicion starts at SuspicionMaxTimeoutMult times the minimum and shrinks as others confirm. */
  suspicionMaxTimeoutMult: number;
  /** Full state exchange with one random member; 0 disables. Scaled up above 32 members. */
  pushPullInterval: number;
  probeInterval: number;
  /** Time to wait for a direct ack before asking others. */
  probeTimeout: number;
  /** Never fall back to a TCP ping. */
  disableTcpPings: boolean;
  /** Per-node opt-out of the TCP fallback ping. */
  disableTcpPingsForNode?: (name: string) => boolean;
  /** Lifeguard: the probe interval stretches up to this many times when this node is unhealthy. */
  awarenessMaxMultiplier: number;
  gossipInterval: number;
  gossipNodes: number;
  /** Keep gossiping to a dead node this long, so it learns it was declared dead and can refute. */
  gossipToTheDeadTime: number;
  gossipVerifyIncoming: boolean;
  gossipVerifyOutgoing: boolean;
  enableCompression: boolean;
  /** AES key (16, 24 or 32 bytes); turns encryption on. Added to `keyring` as its primary key. */
  secretKey?: Uint8Array;
  keyring?: Keyring;
  delegate?: Delegate;
  events?: EventDelegate;
  conflict?: ConflictDelegate;
  merge?: MergeDelegate;
  ping?: PingDelegate;
  alive?: AliveDelegate;
  delegateProtocolVersion: number;
  delegateProtocolMin: number;
  delegateProtocolMax: number;
  /** Go queues gossip for a worker; Shoal handles it inline, but bounds each packet's work by this. */
  handoffQueueDepth: number;
  /** Budget of one gossip datagram. */
  udpBufferSize: number;
  /** After this long, a dead node's name may be taken by a new address; 0 never. */
  deadNodeReclaimTime: number;
  /** Refuse to send to addresses that carry no node name. */
  requireNodeNames: boolean;
  /** Only accept members whose address is in one of these CIDRs; empty allows all. */
  cidrsAllowed: string[];
  logger?: Logger;
  /**
   * Shoal extension, off by default so that a mixed cluster behaves as Go's does: feed measured
   * lateness of this node's own timers (event-loop stalls) into the awareness score, and hold back
   * suspicions raised from probe timeouts that expired while this node was stalled (the node is
   * probed once more at once instead). See reports/sim, section 3c, for what it removes and costs.
   */
  lagAwareness: boolean;
  /**
   * Shoal extension, off (0) by default like Go: every this many ms, try to re-join the seed
   * addresses given to join() and recently dead members, so that split clusters merge by themselves.
   */
  rejoinInterval: number;
  /**
   * Where metrics go, under Go memberlist's names (`memberlist.msg.alive`, `memberlist.probeNode`, …)
   * plus a few of Shoal's own under `shoal.memberlist.*` (what was dropped or refused). Default: none.
   */
  metrics?: MetricsSink;
  /** Labels added to every metric (Go's MetricLabels). */
  metricLabels?: MetricLabel[];
  /**
   * How often queue depth and member counts are sampled into `metrics` (Go's QueueCheckInterval).
   * Only runs when a metrics sink is configured.
   */
  queueCheckInterval: number;
  /**
   * Shoal's bound on what one received datagram may decompress to; past it the datagram is dropped
   * (counted as `shoal.memberlist.packet.dropped{reason="decompression_limit"}`) and decompression
   * stops right there. 64 KiB: a sender (Go or Shoal) fills a datagram up to its UDPBufferSize
   * before compressing it, and no datagram holds more than 64 KiB, so nothing legitimate is larger.
   * Go's bound is 40 MiB, which lets a 31 KB datagram cost 137 ms of CPU.
   */
  maxDecompressedPacketBytes: number;
  /**
   * Shoal's bound on inbound streams served at once (still arriving, or being answered); more are
   * closed on arrival and counted as `shoal.memberlist.stream.refused{reason="too_many_streams"}`.
   * 128, Go's limit on concurrent push/pulls (maxPushPullRequests): a member opens one stream per
   * exchange, so only a join storm of more than 128 members at once comes near it.
   */
  maxInboundStreams: number;
  /**
   * Shoal's bound on the bytes that unfinished inbound stream messages may buffer together (before
   * they are complete, nothing in them is authenticated), and that complete ones hold once decoded
   * while they are handled: decompression stops where the room left ends, so a compressed frame of
   * a few KB cannot expand to Go's 40 MiB outside the bound. A stream that would go past it is closed
   * (`shoal.memberlist.stream.refused{reason="buffer_limit"}`); an honest peer retries at its next
   * push/pull. 32 MiB: room for one push/pull of the protocol's 20 MiB maximum beside the ordinary
   * ones (a cluster of 10,000 members sends about 1 MiB), while 32 senders that stop one byte short
   * cost under 100 MB of RSS (bench:abuse gossip; refused bytes wait for garbage collection).
   */
  maxInboundStreamBytes: number;
  /**
   * Warnings about dropped input (junk datagrams, refused streams) written per minute at most; past
   * it they are counted and the count is logged with the next one allowed. Every drop is still
   * counted in `metrics`. 10: enough to see what is arriving without a flood writing a line per packet.
   */
  junkWarningsPerMinute: number;
}

/** Go's DefaultLANConfig: a LAN, where latencies are low and the network reliable. */
export function defaultLANConfig(): MemberlistConfig {
  return {
    name: safeHostname(),
    label: "",
    skipInboundLabelCheck: false,
    bindAddr: "0.0.0.0",
    bindPort: 7946,
    advertiseAddr: "",
    advertisePort: 7946,
    protocolVersion: ProtocolVersion2Compatible,
    tcpTimeout: 10_000,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    pushPullInterval: 30_000,
    probeInterval: 1_000,
    probeTimeout: 500,
    disableTcpPings: false,
    awarenessMaxMultiplier: 8,
    gossipInterval: 200,
    gossipNodes: 3,
    gossipToTheDeadTime: 30_000,
    gossipVerifyIncoming: true,
    gossipVerifyOutgoing: true,
    enableCompression: true,
    delegateProtocolVersion: 0,
    delegateProtocolMin: 0,
    delegateProtocolMax: 0,
    handoffQueueDepth: 1024,
    udpBufferSize: 1400,
    deadNodeReclaimTime: 0,
    requireNodeNames: false,
    cidrsAllowed: [],
    lagAwareness: false,
    rejoinInterval: 0,
    queueCheckInterval: 30_000,
    maxDecompressedPacketBytes: 64 * 1024,
    maxInboundStreams: 128,
    maxInboundStreamBytes: 32 * 1024 * 1024,
    junkWarningsPerMinute: 10,
  };
}

/** Go's DefaultWANConfig: higher latencies, so slower probes and longer suspicion. */
export function defaultWANConfig(): MemberlistConfig {
  return {
    ...defaultLANConfig(),
    tcpTimeout: 30_000,
    suspicionMult: 6,
    pushPullInterval: 60_000,
    probeTimeout: 3_000,
    probeInterval: 5_000,
    gossipNodes: 4,
    gossipInterval: 500,
    gossipToTheDeadTime: 60_000,
  };
}

/** Go's DefaultLocalConfig: one machine or a fast, reliable local network. */
export function defaultLocalConfig(): MemberlistConfig {
  return {
    ...defaultLANConfig(),
    tcpTimeout: 1_000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullInterval: 15_000,
    probeTimeout: 200,
    probeInterval: 1_000,
    gossipInterval: 100,
    gossipToTheDeadTime: 15_000,
  };
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "shoal";
  }
}

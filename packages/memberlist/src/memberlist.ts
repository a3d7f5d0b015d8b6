/**
 * The public face of `@shoal/memberlist`: a member of a gossip cluster that Go memberlist nodes
 * cannot tell from one of their own. Names follow Go memberlist; the style is TypeScript's
 * (Promises, typed events, milliseconds, Uint8Array).
 */
import { EventEmitter } from "node:events";
import type { MemberlistConfig } from "./config.ts";
import { buildKeyring, resolveConfig } from "./config-validate.ts";
import type { Address, Runtime, Transport } from "./driver.ts";
import { ConfigError, NetworkError, NoPingResponseError, ShutdownError, TimeoutError } from "./errors.ts";
import { joinHostPort, parseHostPort } from "./host-port.ts";
import { type Logger, stderrLogger } from "./logger.ts";
import { NodeRuntime } from "./node-runtime.ts";
import { Engine, type EngineHooks, Lifecycle } from "./swim/engine.ts";
import { formCluster } from "./swim/formed-cluster.ts";
import { pushPullScale } from "./swim/formulas.ts";
import { gossip, pushPullTick, sendToAllLive } from "./swim/gossip.ts";
import { isDeadOrLeft, toPublicNode } from "./swim/node-record.ts";
import { handlePacket, sendMsg, sendPacket } from "./swim/packets.ts";
import { probeTick } from "./swim/probe.ts";
import { queueCheck } from "./swim/queue-check.ts";
import { deadNode, setAlive } from "./swim/state.ts";
import { handleStream, pushPullNode, sendUserStream } from "./swim/streams.ts";
import { NetTransport } from "./transport/net-transport.ts";
import type { Node, NodeAddress } from "./types.ts";
import { encodeMessage, ipToBytes, type Keyring } from "./wire/index.ts";
import { MessageType } from "./wire/messages.ts";

/** A suspicion raised or confirmed about a member. */
export interface SuspectEvent {
  node: string;
  from: string;
  incarnation: number;
}

/** Events emitted by a {@link Memberlist}, in the order they happen. */
export interface MemberlistEvents {
  /** A member joined (or came back). */
  join: [node: Node];
  /** A member died or left; `node.state` is "dead" or "left". */
  leave: [node: Node];
  /** A member's metadata changed. */
  update: [node: Node];
  /** A member became suspect. Not a Go event; useful for monitoring and the simulator. */
  suspect: [event: SuspectEvent];
  /** A user message arrived (from sendReliable, sendBestEffort or a user broadcast). */
  message: [msg: Uint8Array];
}

/**
 * A cluster member. Create one with {@link Memberlist.create}, then {@link Memberlist.join} any
 * live member to enter its cluster.
 *
 * @example
 * ```ts
 * const ml = await Memberlist.create({ ...defaultLocalConfig(), name: "a", bindAddr: "127.0.0.1", bindPort: 0 });
 * ml.on("join", (n) => console.log("joined:", n.name));
 * await ml.join(["127.0.0.1:7946"]);
 * ```
 */
export class Memberlist extends EventEmitter<MemberlistEvents> {
  private readonly engine: Engine;
  private readonly ownedRuntime: NodeRuntime | null;
  private shutdownDone = false;
  /** Addresses given to join(), kept for the optional re-join loop. */
  private readonly seeds = new Set<string>();
  private leaveDone = false;

  private constructor(engine: Engine, ownedRuntime: NodeRuntime | null) {
    super();
    this.engine = engine;
    this.ownedRuntime = ownedRuntime;
  }

  /**
   * Starts a member: binds the transport, marks itself alive and starts the probe, gossip and
   * push/pull loops. It does not join anyone. Fails with a ConfigError on an invalid config or a port
   * in use.
   */
  static async create(config: Partial<MemberlistConfig> = {}): Promise<Memberlist> {
    const c = resolveConfig(config);
    const keyring = buildKeyring(c);
    const log: Logger = c.logger ?? stderrLogger(c.name);
    const ownedRuntime = c.runtime ? null : new NodeRuntime();
    const runtime: Runtime = c.runtime ?? ownedRuntime!;
    const transport: Transport =
      c.transport ??
      (await NetTransport.create({
        bindAddr: c.bindAddr,
        bindPort: c.bindPort,
        now: () => runtime.now(),
        // The transport's own warnings (socket errors, dropped datagrams) go where the engine's go.
        logger: log,
      }));

    let engine: Engine;
    try {
      const boundPort = transport.bindPort;
      if (c.bindPort === 0) c.bindPort = boundPort;
      const port = c.advertiseAddr ? c.advertisePort || boundPort : boundPort;
      const adv = transport.finalAdvertiseAddr(c.advertiseAddr || undefined, port);
      c.advertisePort = adv.port;
      const advertise = { host: adv.host, port: adv.port, addrBytes: ipToBytes(adv.host) };
      // The hooks need the instance, which needs the engine: bind them late through this holder.
      const holder: { ml?: Memberlist } = {};
      engine = new Engine(c, runtime, transport, keyring, advertise, log, hooksFor(holder, c, log));
      const ml = new Memberlist(engine, ownedRuntime);
      holder.ml = ml;
      transport.setPacketHandler((p) => {
        try {
          // handlePacket never throws on bad input; this guards against bugs in user callbacks.
          handlePacket(engine, p);
        } catch (err) {
          log.error("packet handler failed", { err: String(err) });
        }
      });
      transport.setStreamHandler((s) => {
        void handleStream(engine, s);
      });
      setAlive(engine);
      engine.schedule(
        () => c.probeInterval,
        () => probeTick(engine),
      );
      engine.schedule(
        () => (c.gossipNodes > 0 ? c.gossipInterval : 0),
        () => gossip(engine),
      );
      engine.schedule(
        () => (c.pushPullInterval > 0 ? pushPullScale(c.pushPullInterval, engine.numNodes) : 0),
        () => pushPullTick(engine),
      );
      // Only with a sink: a node without one draws no extra randomness for the loop's stagger.
      if (c.metrics !== undefined && c.queueCheckInterval > 0)
        engine.schedule(
          () => c.queueCheckInterval,
          () => queueCheck(engine),
        );
      if (c.rejoinInterval > 0)
        engine.schedule(
          () => c.rejoinInterval,
          () => void ml.rejoin(),
        );
      return ml;
    } catch (err) {
      await transport.shutdown().catch(() => {});
      ownedRuntime?.dispose();
      throw err;
    }
  }

  /**
   * For simulations and tests: makes freshly created nodes (none has joined anyone yet) one cluster at
   * once, in the state a cluster reaches once the gossip about everyone's join has died down: each
   * node knows every other as alive, has nothing queued to gossip, and its loops are staggered over
   * the intervals of the full cluster. No messages are exchanged, no join events are raised, and the
   * alive and merge delegates are not consulted.
   * The nodes share one read-only copy of the member records and copy a record only when its state
   * changes for them, so N nodes cost O(N) records rather than O(N²).
   *
   * @throws ConfigError if a node has been shut down, already knows other members, or two nodes share
   *   a name.
   *
   * @example
   * ```ts
   * const nodes = await Promise.all(configs.map((c) => Memberlist.create(c)));
   * Memberlist.formCluster(nodes);
   * ```
   */
  static formCluster(nodes: readonly Memberlist[]): void {
    formCluster(nodes.map((ml) => ml.engine));
  }

  /** The configuration in force (after defaults and the bound port were applied). */
  get config(): Readonly<MemberlistConfig> {
    return this.engine.config;
  }

  /**
   * Joins a cluster through any of `addrs` ("host:port", "host" for our bind port, or
   * "name/host:port"). Host names are resolved; every address found is tried. Resolves with the
   * number of nodes reached; rejects with a NetworkError when none could be reached, and with a
   * ConfigError when a live member at another address already uses this node's name (or a peer
   * still holds it as suspect, or as dead without `deadNodeReclaimTime`, at another address: a
   * previous run the peer has not let go of, so it would refuse us; retry later).
   */
  async join(addrs: readonly string[]): Promise<number> {
    this.assertRunning();
    const errors: string[] = [];
    let reached = 0;
    for (const raw of addrs) {
      this.seeds.add(raw);
      let targets: Address[];
      try {
        targets = await this.resolveAddr(raw);
      } catch (err) {
        errors.push(`${raw}: ${errText(err)}`);
        continue;
      }
      for (const t of targets) {
        try {
          await pushPullNode(this.engine, t, true);
          reached++;
        } catch (err) {
          errors.push(`${joinHostPort(t.host, t.port)}: ${errText(err)}`);
        }
      }
    }
    const where = this.engine.takeNameConflict();
    if (where !== null) {
      throw new ConfigError(
        `name clash: the member at ${where} already uses the name '${this.engine.config.name}'`,
      );
    }
    if (reached === 0 && addrs.length > 0) {
      throw new NetworkError(`failed to join any of ${addrs.length} address(es): ${errors.join("; ")}`);
    }
    return reached;
  }

  /**
   * Leaves gracefully: gossips that this node left (peers record "left", not "dead") and waits until
   * that news has been sent enough times, or `timeoutMs` passes (TimeoutError; 0 waits forever).
   * The node keeps running until {@link shutdown}.
   */
  async leave(timeoutMs: number): Promise<void> {
    if (this.shutdownDone) throw new ShutdownError("leave after shutdown");
    if (this.leaveDone) return;
    this.leaveDone = true;
    const e = this.engine;
    e.beginLeave();
    const me = e.members.get(e.config.name);
    if (!me) return;
    const dead = { incarnation: me.incarnation, node: me.name, from: me.name };
    const done = new Promise<void>((resolve) => {
      deadNode(e, dead, resolve);
    });
    // Gossip it as Go does, and also tell every live member directly, so the leave is not lost.
    sendToAllLive(e, { type: MessageType.Dead, body: dead });
    if (e.anyAlive()) await this.waitFor(done, timeoutMs, "timeout waiting for the leave broadcast");
  }

  /** Stops everything at once, without telling anyone; peers will detect the failure. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.shutdownDone) return;
    this.shutdownDone = true;
    this.engine.stop();
    await this.engine.transport.shutdown();
    this.ownedRuntime?.dispose();
  }

  /** Every member that is alive or suspect, this node included. */
  members(): Node[] {
    const out: Node[] = [];
    for (const n of this.engine.nodes) if (!isDeadOrLeft(n)) out.push(toPublicNode(n));
    return out;
  }

  /** How many members are alive or suspect, this node included. */
  numMembers(): number {
    let count = 0;
    for (const n of this.engine.nodes) if (!isDeadOrLeft(n)) count++;
    return count;
  }

  /** Every member this node knows of, in any state (dead and left ones until they are reaped). */
  allMembers(): Node[] {
    return this.engine.nodes.map(toPublicNode);
  }

  /** This node as its peers see it. */
  get localNode(): Node {
    const me = this.engine.members.get(this.engine.config.name);
    if (!me) throw new ShutdownError("local node is not in the member table");
    return toPublicNode(me);
  }

  /**
   * Re-reads this node's metadata from the delegate and gossips it with a new incarnation. Resolves
   * once the news has been sent enough times (TimeoutError after `timeoutMs`; 0 waits forever).
   */
  async updateNode(timeoutMs: number): Promise<void> {
    this.assertRunning();
    const e = this.engine;
    let notify!: () => void;
    const done = new Promise<void>((resolve) => {
      notify = resolve;
    });
    setAlive(e, notify);
    if (e.anyAlive()) await this.waitFor(done, timeoutMs, "timeout waiting for the update broadcast");
  }

  /** Sends a user message over a TCP stream (ordered, reliable delivery; no acknowledgement). */
  async sendReliable(node: Node, msg: Uint8Array): Promise<void> {
    this.assertRunning();
    this.checkName(node.name);
    await sendUserStream(this.engine, { host: node.addr, port: node.port }, msg);
  }

  /** Sends a user message in one UDP datagram (may be lost). */
  async sendBestEffort(node: Node, msg: Uint8Array): Promise<void> {
    this.assertRunning();
    this.checkName(node.name);
    sendPacket(
      this.engine,
      { host: node.addr, port: node.port },
      userPacket(msg),
      this.engine.members.get(node.name),
    );
  }

  /** Sends a user message in one UDP datagram to an address (Go's SendToAddress). */
  async sendToAddress(to: NodeAddress, msg: Uint8Array): Promise<void> {
    this.assertRunning();
    this.checkName(to.name);
    const [target] = await this.resolveAddr(to.addr);
    if (!target) throw new NetworkError(`cannot resolve ${to.addr}`);
    sendPacket(this.engine, target, userPacket(msg), to.name ? this.engine.members.get(to.name) : undefined);
  }

  /** Pings a node once over UDP and resolves with the round-trip time in ms (NoPingResponseError if none). */
  async ping(name: string, addr: string | Address): Promise<number> {
    this.assertRunning();
    const e = this.engine;
    const target = typeof addr === "string" ? (await this.resolveAddr(addr))[0] : addr;
    if (!target) throw new NetworkError(`cannot resolve ${String(addr)}`);
    const seq = e.nextSeqNo();
    const sent = e.runtime.now();
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const timer = e.runtime.setTimer(e.config.probeTimeout, () => {
        if (settled) return;
        settled = true;
        reject(new NoPingResponseError(name));
      });
      e.setAckHandler(
        seq,
        e.config.probeInterval,
        (_payload, timestamp) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          resolve(Math.max(0, timestamp - sent));
        },
        () => {},
        () => {},
      );
      const ping = encodeMessage({
        type: MessageType.Ping,
        body: {
          seqNo: seq,
          node: name,
          sourceAddr: e.advertise.addrBytes,
          sourcePort: e.advertise.port,
          sourceNode: e.config.name,
        },
      });
      sendMsg(e, target, ping, e.members.get(name));
    });
  }

  /** Lifeguard's local health score: 0 is healthy, higher means this node is probably the slow one. */
  get healthScore(): number {
    return this.engine.awareness.getHealthScore();
  }

  /** The protocol version this node speaks. */
  get protocolVersion(): number {
    return this.engine.config.protocolVersion;
  }

  /** Whether gossip is encrypted (the keyring holds at least one key). */
  get encryptionEnabled(): boolean {
    return this.engine.encryptionEnabled();
  }

  /** The keyring, for key rotation while the cluster runs (null when encryption was never configured). */
  get keyring(): Keyring | null {
    return this.engine.keyring;
  }

  /** Broadcasts queued by memberlist itself and not yet sent enough times. */
  get numQueuedBroadcasts(): number {
    return this.engine.broadcasts.numQueued();
  }

  /** Tries the join seeds and recently dead members again (the rejoinInterval extension). */
  private async rejoin(): Promise<void> {
    const e = this.engine;
    if (e.lifecycle !== Lifecycle.Running) return;
    const targets = [...this.seeds];
    for (const n of e.nodes) {
      if (isDeadOrLeft(n) && n.name !== e.config.name) targets.push(joinHostPort(n.host, n.port));
    }
    for (const t of targets) {
      try {
        for (const addr of await this.resolveAddr(t)) await pushPullNode(e, addr, false);
      } catch (err) {
        e.log.debug("re-join attempt failed", { target: t, err: errText(err) });
      }
    }
  }

  private checkName(name: string | undefined): void {
    if (this.engine.config.requireNodeNames && !name) {
      throw new ConfigError("requireNodeNames is set: the destination needs a node name");
    }
  }

  private assertRunning(): void {
    if (this.shutdownDone) throw new ShutdownError();
  }

  private async waitFor(done: Promise<void>, timeoutMs: number, message: string): Promise<void> {
    if (timeoutMs <= 0) return done;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.engine.runtime.setTimer(timeoutMs, () => reject(new TimeoutError(message)));
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      timer?.cancel();
    }
  }

  /** "name/host:port", "host:port", "[v6]:port" or "host" into IP addresses (port defaults to our bind port). */
  private async resolveAddr(raw: string): Promise<Address[]> {
    let s = raw.trim();
    const slash = s.indexOf("/");
    if (slash >= 0) {
      if (slash === 0) throw new ConfigError(`empty node name in address '${raw}'`);
      s = s.slice(slash + 1);
    }
    const { host, port } = parseHostPort(s, this.engine.config.bindPort);
    const ips = await this.engine.transport.resolve(host);
    return ips.map((ip) => ({ host: ip, port }));
  }
}

function userPacket(msg: Uint8Array): Uint8Array {
  return encodeMessage({ type: MessageType.User, body: msg });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Routes engine events to the delegates and to the instance's emitter; user code never breaks the engine. */
function hooksFor(holder: { ml?: Memberlist }, c: MemberlistConfig, log: Logger): EngineHooks {
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error(`${what} callback threw`, { err: errText(err) });
    }
  };
  return {
    join: (n) => {
      guard("notifyJoin", () => c.events?.notifyJoin?.(n));
      guard("join listener", () => holder.ml?.emit("join", n));
    },
    leave: (n) => {
      guard("notifyLeave", () => c.events?.notifyLeave?.(n));
      guard("leave listener", () => holder.ml?.emit("leave", n));
    },
    update: (n) => {
      guard("notifyUpdate", () => c.events?.notifyUpdate?.(n));
      guard("update listener", () => holder.ml?.emit("update", n));
    },
    suspect: (ev) => guard("suspect listener", () => holder.ml?.emit("suspect", ev)),
    message: (msg) => {
      guard("notifyMsg", () => c.delegate?.notifyMsg?.(msg));
      guard("message listener", () => holder.ml?.emit("message", msg));
    },
  };
}

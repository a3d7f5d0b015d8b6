/**
 * Real brokers on the simulator: on every node, the real `createBroker` (hub, subscribers,
 * replication, repair, ack modes) over the real `@shoal/memberlist`, both on the node's virtual
 * Runtime, replication links on simulated TCP streams ({@link SimLinkNetwork}). No real socket,
 * timer or clock is involved, so a seed replays a run event for event.
 *
 * On top, the workload: publishers that call the broker's `accept` (what `POST /channel/...` calls)
 * and record the answer they got, and subscribers that stream from a node, resume on a live node
 * with their last `id:` whenever their stream ends, and record every frame. The record is a
 * {@link RunHistory} for the checker.
 */
import { type AckMode, type Broker, createBroker, MemberlistMembership, silentLogger } from "@shoal/broker";
import type { LinkProfile } from "../link-profile.ts";
import type { SimNode } from "../node.ts";
import { Rng, StreamPurpose } from "../prng.ts";
import type { SimProcess } from "../process.ts";
import { Simulator } from "../simulator.ts";
import type { PublishRecord, RunHistory, SubscriberRecord } from "./history.ts";
import { SIM_HTTP_PORT, SimLinkNetwork } from "./link-network.ts";
import { SimSseConnection } from "./sse-client.ts";

/** A publisher's own timeout: well above the broker's ack timeout, so a live node always answers first. */
const PUBLISH_TIMEOUT_MS = 10_000;

/** Virtual time zero as a wall-clock date (event times are wall-clock ms). */
const EPOCH_MS = 1_700_000_000_000;

/** One node's application: a broker and its gossip. */
export interface BrokerApp {
  broker: Broker;
  membership: MemberlistMembership;
  leave(timeoutMs: number): Promise<void>;
  shutdown(): Promise<void>;
}

/** Broker settings shared by every node of a run. */
export interface BrokerSimSettings {
  seed: number;
  replayCommand?: string;
  link?: LinkProfile;
  ackMode?: AckMode;
  ackTimeoutMs?: number;
  historyMaxEvents?: number;
  maxBufferBytes?: number;
}

interface Subscriber {
  record: SubscriberRecord;
  conn: SimSseConnection | null;
  /** Bytes per second it reads now (0: at once). */
  readRate: () => number;
  /** Node it prefers to (re)connect to. */
  home: number;
}

export class BrokerSimCluster {
  readonly sim: Simulator<BrokerApp>;
  readonly history: RunHistory = { publishes: [], subscribers: [], faults: [] };
  /** The workload's own draws (publish gaps, reconnect delays): apart from the nodes' streams. */
  readonly rng: Rng;
  private readonly subscribers: Subscriber[] = [];
  /** Nodes whose next 2xx answer triggers their SIGKILL ("crash right after it answers"). */
  private readonly killOnAck = new Set<number>();
  private stopped = false;
  /** Publishes a live node never answered within {@link PUBLISH_TIMEOUT_MS}. */
  readonly hung: PublishRecord[] = [];

  constructor(readonly settings: BrokerSimSettings) {
    this.rng = new Rng(settings.seed, StreamPurpose.Workload);
    this.sim = new Simulator<BrokerApp>(
      {
        seed: settings.seed,
        ...(settings.link !== undefined ? { link: settings.link } : {}),
        ...(settings.replayCommand !== undefined ? { replayCommand: settings.replayCommand } : {}),
      },
      (ctx) => this.startBroker(ctx.node, ctx.runtime as SimProcess),
    );
  }

  /** Ms of virtual time as the brokers' wall clock. */
  private wallClock(): number {
    return EPOCH_MS + this.sim.now;
  }

  private async startBroker(node: SimNode<BrokerApp>, proc: SimProcess): Promise<BrokerApp> {
    const membership = await MemberlistMembership.create({
      name: node.name,
      bindAddr: node.ip,
      gossipPort: node.port,
      httpPort: SIM_HTTP_PORT,
      profile: "local",
      logger: silentLogger,
      // A node restarted on a new address may take its name back once the old one is dead.
      overrides: { transport: proc.transport, runtime: proc, deadNodeReclaimTime: 1 },
    });
    const broker = createBroker({
      membership,
      driver: {
        runtime: proc,
        wallClock: () => this.wallClock(),
        network: new SimLinkNetwork(proc.transport),
      },
      ...(this.settings.ackMode !== undefined ? { ackMode: this.settings.ackMode } : {}),
      ...(this.settings.ackTimeoutMs !== undefined ? { ackTimeoutMs: this.settings.ackTimeoutMs } : {}),
      historyMaxEvents: this.settings.historyMaxEvents ?? 1000,
      maxBufferBytes: this.settings.maxBufferBytes ?? 1024 * 1024,
      heartbeatMs: 5_000,
      logger: silentLogger,
    });
    // Join whoever runs now, retrying (as `shoal start` does) until one answers.
    const seeds = this.sim.nodes.filter((n) => n !== node && n.app !== null).map((n) => `${n.ip}:${n.port}`);
    if (seeds.length > 0) {
      const attempt = (delay: number): void => {
        if (!proc.alive) return;
        membership.join(seeds).catch(() => proc.setTimer(delay, () => attempt(Math.min(5_000, delay * 2))));
      };
      attempt(200);
    }
    return {
      broker,
      membership,
      async leave(timeoutMs: number) {
        broker.drain();
        await membership.leave(timeoutMs).catch(() => {});
        await broker.waitReplicated(5_000);
      },
      async shutdown() {
        await broker.close();
        await membership.shutdown();
      },
    };
  }

  /** Adds a node whose broker starts at `atMs`; `joining`: it joins a running cluster (a fault). */
  addNode(atMs: number, joining = false): SimNode<BrokerApp> {
    const node = this.sim.addNode({ atMs });
    if (joining) this.fault("join", node.id, atMs);
    return node;
  }

  /** Node ids with a running broker. */
  running(): number[] {
    return this.sim.nodes.filter((n) => n.app !== null).map((n) => n.id);
  }

  private fault(kind: string, id: number | undefined, at: number): void {
    this.history.faults!.push(id === undefined ? { kind, at } : { kind, node: this.sim.node(id).name, at });
  }

  /**
   * A publisher on node `home`: from `fromMs` to `untilMs`, one publish at a time, a gap drawn
   * from [minGapMs, maxGapMs) after each answer (or after sending, when no answer can come).
   */
  publisher(
    name: string,
    home: number,
    channels: string[],
    fromMs: number,
    untilMs: number,
    gap: [number, number],
  ): void {
    let i = 0;
    const next = (): void => {
      if (this.stopped || this.sim.now >= untilMs) return;
      const node = this.sim.node(home);
      const app = node.app;
      const proc = node.process;
      const wait = gap[0] + this.rng.float() * (gap[1] - gap[0]);
      if (app === null || proc === null) {
        this.sim.at(this.sim.now + wait, next);
        return;
      }
      const channel = channels[this.rng.int(channels.length)]!;
      const rec: PublishRecord = {
        token: `${name}-${i++}`,
        channel,
        node: node.name,
        at: this.sim.now,
        outcome: "unanswered",
      };
      this.history.publishes.push(rec);
      // The answer reaches the publisher only if the process that took it is still alive.
      const alive = () => node.process === proc && proc.alive;
      let moved = false;
      const moveOn = (): void => {
        if (moved) return;
        moved = true;
        this.sim.at(this.sim.now + wait, next);
      };
      app.broker.accept({ channel, data: rec.token }).then(
        (ev) => {
          if (!alive()) return;
          rec.outcome = "acked";
          rec.answeredAt = this.sim.now;
          rec.origin = ev.origin;
          rec.seq = ev.seq;
          if (this.killOnAck.delete(home)) this.crash(home, { atMs: this.sim.now, afterAck: true });
          moveOn();
        },
        () => {
          if (!alive()) return;
          rec.outcome = "refused";
          rec.answeredAt = this.sim.now;
          moveOn();
        },
      );
      // A publisher whose node died gives up after a client timeout. A live node must have
      // answered by then (its ack timeout is shorter): a publish left hanging is a bug.
      this.sim.at(this.sim.now + PUBLISH_TIMEOUT_MS, () => {
        if (rec.answeredAt !== undefined) return;
        if (alive()) this.hung.push(rec);
        moveOn();
      });
    };
    this.sim.at(fromMs, next);
  }

  /**
   * A subscriber of `channel` that opens on `home` at `atMs` and resumes wherever it can. With
   * `slow`, it reads only `bytesPerSec` until `untilMs` (then catches up at once).
   */
  subscriber(
    name: string,
    channel: string,
    home: number,
    atMs: number,
    slow?: { bytesPerSec: number; untilMs: number },
  ): void {
    const sub: Subscriber = {
      record: { name, channel, sessions: [], connectedAtEnd: false },
      conn: null,
      readRate: () => (slow !== undefined && this.sim.now < slow.untilMs ? slow.bytesPerSec : 0),
      home,
    };
    this.subscribers.push(sub);
    this.history.subscribers.push(sub.record);
    this.sim.at(atMs, () => this.connect(sub));
  }

  private connect(sub: Subscriber): void {
    if (this.stopped) return;
    const up = this.running();
    if (up.length === 0) {
      this.sim.at(this.sim.now + 500, () => this.connect(sub));
      return;
    }
    // Back home when it is up, else any live node (as a load balancer would pick).
    const id = up.includes(sub.home) ? sub.home : up[this.rng.int(up.length)]!;
    const node = this.sim.node(id);
    const app = node.app!;
    const last = sub.conn?.lastEventId ?? null;
    const conn = new SimSseConnection(
      node.name,
      app.broker.hub.origin,
      last,
      node.process!,
      () => this.sim.now,
      sub.readRate,
      () => {
        // Reconnect after a client-side delay, with the last id it saw.
        this.sim.at(this.sim.now + 100 + this.rng.float() * 900, () => this.connect(sub));
      },
    );
    sub.conn = conn;
    sub.record.sessions.push(conn.session);
    app.broker.hub.subscribe(conn.response, {
      channels: [sub.record.channel],
      clientId: sub.record.name,
      cursor: last,
    });
  }

  /** SIGKILLs node `id` at `atMs` (host down unless `hostUp`): its streams end where they are. */
  crash(id: number, opts: { atMs: number; hostUp?: boolean; afterAck?: boolean }): void {
    this.sim.crash(id, { atMs: opts.atMs, hostDown: opts.hostUp !== true });
    this.sim.at(opts.atMs, () => {
      this.fault(opts.afterAck === true ? "kill-after-ack" : "crash", id, this.sim.now);
      this.dropStreamsOf(id);
    });
  }

  /** The next 2xx node `id` answers after `atMs` is its last: it is SIGKILLed right then. */
  killAfterNextAck(id: number, atMs: number): void {
    this.sim.at(atMs, () => this.killOnAck.add(id));
  }

  /** Restarts node `id` at `atMs` (a new broker run: new origin), on its address or a new one. */
  restart(id: number, atMs: number, newAddress: boolean): void {
    this.sim.at(atMs, () => {
      this.fault(newAddress ? "restart-new-address" : "restart", id, atMs);
      this.dropStreamsOf(id);
    });
    this.sim.restart(id, { atMs, newAddress });
  }

  /** Graceful leave of node `id` at `atMs` (drain, leave, wait for peers' acks, close). */
  leave(id: number, atMs: number): void {
    this.sim.at(atMs, () => this.fault("leave", id, atMs));
    this.sim.leave(id, { atMs, timeoutMs: 1_000 });
  }

  /** Partitions `a` from `b` (one way: only a -> b is cut) from `atMs`, healed at `healMs`. */
  partition(a: number[], b: number[], atMs: number, healMs: number, oneWay: boolean): void {
    this.sim.at(atMs, () => this.fault(oneWay ? "partition-one-way" : "partition", a[0], atMs));
    this.sim.partition(a, b, { atMs, oneWay }).heal(healMs);
  }

  /** Node `id` sends with `profile` (loss, slow links) from `atMs` to `untilMs`. */
  degradeLink(id: number, profile: LinkProfile, kind: string, atMs: number, untilMs: number): void {
    this.sim.at(atMs, () => {
      this.fault(kind, id, atMs);
      this.sim.setNodeLink(id, profile);
    });
    this.sim.at(untilMs, () => this.sim.setNodeLink(id, null));
  }

  /**
   * True once the running nodes have healed: each lists every other running node, under its
   * current address, as a live peer, and every replication link is up with nothing unacknowledged.
   */
  healed(): boolean {
    const up = this.sim.nodes.filter((n) => n.app !== null);
    for (const n of up) {
      const app = n.app!;
      const peers = new Map(app.membership.peers().map((p) => [p.name, p.httpAddr]));
      for (const m of up) if (m !== n && peers.get(m.name) !== `${m.ip}:${SIM_HTTP_PORT}`) return false;
      for (const link of app.broker.status().replication)
        if (!link.connected || link.lagEvents > 0) return false;
    }
    return true;
  }

  private dropStreamsOf(id: number): void {
    const name = this.sim.node(id).name;
    for (const sub of this.subscribers) if (sub.conn?.open && sub.conn.session.node === name) sub.conn.lost();
  }

  /** Ends the workload: no new publishes or connections; records who is connected now. */
  finish(): RunHistory {
    this.stopped = true;
    for (const sub of this.subscribers) {
      const conn = sub.conn;
      const node = conn === null ? undefined : this.sim.nodes.find((n) => n.name === conn.session.node);
      sub.record.connectedAtEnd = conn?.open === true && node !== undefined && node.app !== null;
    }
    return this.history;
  }
}

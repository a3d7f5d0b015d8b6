/**
 * A toy workload to measure the simulator's own machinery, without the protocol engine: every node
 * sends a small datagram to `fanout` random peers every `intervalMs`, and optionally opens a stream
 * to one random peer every `streamIntervalMs` for an echo exchange.
 */
import type { Address, Packet, Runtime, Stream, Timer, Transport } from "@shoal/memberlist";
import type { SimApp, StartContext } from "./simulator.ts";

export interface ToyOptions {
  intervalMs: number;
  fanout: number;
  payloadBytes: number;
  /** 0: no streams. */
  streamIntervalMs: number;
}

/** Totals shared by all toy nodes of one run. */
export interface ToyTotals {
  datagramsReceived: number;
  echoes: number;
  dialFailures: number;
}

export class ToyApp implements SimApp {
  private readonly runtime: Runtime;
  private readonly transport: Transport;
  private readonly peers: readonly Address[];
  private readonly options: ToyOptions;
  private readonly totals: ToyTotals;
  private readonly payload: Uint8Array;
  private timer: Timer | null = null;
  private streamTimer: Timer | null = null;
  private stopped = false;

  constructor(ctx: StartContext<ToyApp>, peers: readonly Address[], options: ToyOptions, totals: ToyTotals) {
    this.runtime = ctx.runtime;
    this.transport = ctx.transport;
    this.peers = peers;
    this.options = options;
    this.totals = totals;
    this.payload = new Uint8Array(options.payloadBytes);
    this.transport.setPacketHandler((p) => this.onPacket(p));
    this.transport.setStreamHandler((s) => void this.echo(s));
    // Spread the first tick over one interval so nodes do not tick in lockstep.
    this.timer = this.runtime.setTimer(this.runtime.random() * options.intervalMs, () => this.tick());
    if (options.streamIntervalMs > 0) {
      this.streamTimer = this.runtime.setTimer(this.runtime.random() * options.streamIntervalMs, () =>
        this.streamTick(),
      );
    }
  }

  private onPacket(_p: Packet): void {
    this.totals.datagramsReceived++;
  }

  private tick(): void {
    const n = this.peers.length;
    for (let i = 0; i < this.options.fanout; i++) {
      const peer = this.peers[Math.floor(this.runtime.random() * n)]!;
      void this.transport.writeTo(this.payload, peer);
    }
    if (!this.stopped) this.timer = this.runtime.setTimer(this.options.intervalMs, () => this.tick());
  }

  private streamTick(): void {
    const peer = this.peers[Math.floor(this.runtime.random() * this.peers.length)]!;
    void this.exchange(peer);
    if (!this.stopped) {
      this.streamTimer = this.runtime.setTimer(this.options.streamIntervalMs, () => this.streamTick());
    }
  }

  private async exchange(peer: Address): Promise<void> {
    let stream: Stream;
    try {
      stream = await this.transport.dial(peer, 1000);
    } catch {
      this.totals.dialFailures++;
      return;
    }
    try {
      await stream.write(this.payload);
      const reply = await stream.read();
      if (reply !== null) this.totals.echoes++;
    } catch {
      // A broken stream is part of the workload's weather.
    } finally {
      stream.close();
    }
  }

  private async echo(stream: Stream): Promise<void> {
    try {
      const chunk = await stream.read();
      if (chunk !== null) await stream.write(chunk);
    } catch {
      // ignore
    } finally {
      stream.close();
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.streamTimer?.cancel();
    await this.transport.shutdown();
  }
}

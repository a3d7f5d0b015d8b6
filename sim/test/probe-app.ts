/** A scriptable application for the simulator's own tests: records what reaches it. */
import type { Address, Runtime, Stream, Transport } from "@shoal/memberlist";
import type { SimNode } from "../src/node.ts";
import type { SimApp, StartContext } from "../src/simulator.ts";

export interface Received {
  at: number;
  timestamp: number;
  from: string;
  text: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class ProbeApp implements SimApp {
  readonly runtime: Runtime;
  readonly transport: Transport;
  readonly node: SimNode<ProbeApp>;
  readonly received: Received[] = [];
  readonly accepted: Stream[] = [];
  readonly log: string[] = [];
  left = false;
  shut = false;

  constructor(ctx: StartContext<ProbeApp>) {
    this.runtime = ctx.runtime;
    this.transport = ctx.transport;
    this.node = ctx.node;
    this.transport.setPacketHandler((p) =>
      this.received.push({
        at: this.runtime.now(),
        timestamp: p.timestamp,
        from: p.from.host,
        text: dec.decode(p.buf),
      }),
    );
    this.transport.setStreamHandler((s) => {
      this.accepted.push(s);
    });
  }

  send(text: string, to: Address): Promise<void> {
    return this.transport.writeTo(enc.encode(text), to);
  }

  async leave(_timeoutMs: number): Promise<void> {
    this.left = true;
  }

  async shutdown(): Promise<void> {
    this.shut = true;
    await this.transport.shutdown();
  }
}

export function text(s: string): Uint8Array {
  return enc.encode(s);
}

export function str(b: Uint8Array | null): string | null {
  return b === null ? null : dec.decode(b);
}

/** The node's address as the transport expects it. */
export function addrOf(node: SimNode<unknown>): Address {
  return { host: node.ip, port: node.port };
}

/**
 * The broker's replication {@link LinkNetwork} on the simulator: a link is a simulated TCP stream
 * (sim/src/stream.ts) to the peer's HTTP port, as the production network is an HTTP upgrade on it.
 * Dials can connect, be refused or time out; partitions, loss and crashes act on them.
 */
import type { LinkNetwork, Stream } from "@shoal/broker";
import { splitHostPort } from "@shoal/memberlist";
import type { SimTransport } from "../transport.ts";

/** The port brokers serve HTTP (and so replication) on in the simulator. */
export const SIM_HTTP_PORT = 8080;

export class SimLinkNetwork implements LinkNetwork {
  constructor(private readonly transport: SimTransport) {}

  dial(httpAddr: string, timeoutMs: number): Promise<Stream> {
    const target = splitHostPort(httpAddr);
    if (target === null) return Promise.reject(new Error(`not a host:port address: '${httpAddr}'`));
    return this.transport.dial({ host: target.host, port: target.port }, timeoutMs);
  }

  setAcceptHandler(handler: (stream: Stream) => void): void {
    this.transport.listenStreams(SIM_HTTP_PORT, handler);
  }
}

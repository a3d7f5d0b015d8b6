/**
 * Bounds on raw connections to the HTTP port, counted from the moment they are accepted: in total
 * and per client address. A connection that never sends a request is neither a stream nor a
 * request, so the stream limits do not see it, and node:http never times it out (its header and
 * request timeouts start with the first byte); without these bounds, idle sockets exhaust file
 * descriptors and `/healthz` fails with everything else. A connection that has sent nothing is
 * also closed after {@link FIRST_REQUEST_TIMEOUT_MS} (counted as `limit="http_first_request_timeout"`).
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { Server as TlsServer } from "node:tls";
import type { LimitCounters } from "./limits.ts";

/**
 * Connections allowed beyond the stream limit, in total: when every stream slot is taken,
 * `/healthz`, `/metrics`, publishes and replication links still get this many connections.
 */
export const CONNECTION_HEADROOM = 128;
/** Connections per address beyond its stream limit: room for its publishes and scrapes. */
export const CONNECTION_HEADROOM_PER_ADDRESS = 64;
/**
 * A connection that has sent no request after this long is closed: node:http's header timeout,
 * which starts only with the first byte. Long enough for any client on a slow link.
 */
export const FIRST_REQUEST_TIMEOUT_MS = 30_000;

const REFUSAL_BODY = JSON.stringify({
  error: { code: "ERR_TOO_MANY_CONNECTIONS", message: "too many connections; retry later or elsewhere" },
});
/** What a refused plain-HTTP connection is told before it is closed (it has not asked anything yet). */
const REFUSAL = `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n${REFUSAL_BODY}`;

export class ConnectionLimiter {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** Sockets still waiting for their first request, and what counts them if they time out. */
  private readonly waiting = new WeakMap<Socket, () => void>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerAddress: number,
    private readonly counters: LimitCounters,
    private readonly firstRequestTimeoutMs: number = FIRST_REQUEST_TIMEOUT_MS,
  ) {}

  /** Connections open now. */
  get open(): number {
    return this.total;
  }

  /**
   * Counts every connection `server` accepts and refuses those past a bound. Install it before
   * any other `upgrade` listener: it clears the first-request timer of upgraded sockets.
   */
  attach(server: Server): void {
    const tls = server instanceof TlsServer;
    server.on("connection", (socket: Socket) => this.admit(socket, tls));
    if (tls) return; // a TLS handshake has its own timeout (tls.Server's handshakeTimeout)
    server.on("request", (req) => this.started(req.socket));
    server.on("upgrade", (_req, socket: Socket) => this.started(socket));
  }

  /** The socket sent a request: no first-request deadline any more (node:http times what follows). */
  private started(socket: Socket): void {
    const onTimeout = this.waiting.get(socket);
    if (onTimeout === undefined) return;
    this.waiting.delete(socket);
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
  }

  private admit(socket: Socket, tls: boolean): void {
    const address = socket.remoteAddress ?? "unknown";
    const mine = this.perAddress.get(address) ?? 0;
    const refusal =
      this.total >= this.maxTotal
        ? "http_connections_total"
        : mine >= this.maxPerAddress
          ? "http_connections_per_address"
          : null;
    if (refusal !== null) {
      this.counters.hit(refusal);
      if (tls) socket.destroy();
      else {
        // Half-close after the answer, and drop it if the client does not close its side soon.
        socket.end(REFUSAL);
        setTimeout(() => socket.destroy(), 1_000).unref();
      }
      return;
    }
    this.total++;
    this.perAddress.set(address, mine + 1);
    if (!tls && this.firstRequestTimeoutMs > 0) {
      // node:http destroys a socket whose timeout fires (no request, response or server handles it).
      const onTimeout = () => this.counters.hit("http_first_request_timeout");
      this.waiting.set(socket, onTimeout);
      socket.once("timeout", onTimeout);
      socket.setTimeout(this.firstRequestTimeoutMs);
    }
    socket.once("close", () => {
      this.total--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
  }
}

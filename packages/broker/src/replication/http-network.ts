/**
 * The production {@link LinkNetwork}: a replication stream is an HTTP upgrade on the peer's
 * broker port (`GET /_shoal/replication`, `Upgrade: shoal-replication/2`), so a node needs one port.
 * The upgrade only opens the byte stream; the link protocol (`link.ts`) authenticates over it.
 */
import { type IncomingMessage, request } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { splitHostPort } from "@shoal/memberlist";
import { ReplicationError } from "../errors.ts";
import type { LinkNetwork, Stream } from "./driver.ts";
import { SocketStream } from "./socket-stream.ts";

/** Path of the HTTP upgrade on the broker's own port. */
export const REPLICATION_PATH = "/_shoal/replication";
/** Value of the `Upgrade:` header. Version 1 exchanged nonces in headers and is not spoken any more. */
export const REPLICATION_PROTOCOL = "shoal-replication/2";

export class HttpLinkNetwork implements LinkNetwork {
  private acceptHandler: ((stream: Stream) => void) | null = null;

  /**
   * `tls`: peers serve HTTPS (`--http.tls.*`), so links are dialled over TLS. Peer certificates are
   * not verified here: a link's authenticity and secrecy come from the cluster key
   * (`--gossip.secretKey`), which the link protocol checks whatever the transport.
   */
  constructor(private readonly options: { tls?: boolean } = {}) {}

  setAcceptHandler(handler: (stream: Stream) => void): void {
    this.acceptHandler = handler;
  }

  /** True when this upgrade request is a replication link (then it has been handled). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if ((req.url ?? "") !== REPLICATION_PATH) return false;
    const upgrade = String(req.headers.upgrade ?? "").toLowerCase();
    if (!upgrade.startsWith("shoal-replication/")) return false;
    if (upgrade !== REPLICATION_PROTOCOL || this.acceptHandler === null) {
      socket.end(
        `HTTP/1.1 426 Upgrade Required\r\nUpgrade: ${REPLICATION_PROTOCOL}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return true;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${REPLICATION_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`,
    );
    this.acceptHandler(new SocketStream(socket as Socket, head));
    return true;
  }

  dial(httpAddr: string, timeoutMs: number): Promise<Stream> {
    const target = splitHostPort(httpAddr);
    if (target === null)
      return Promise.reject(new ReplicationError(`not a host:port address: '${httpAddr}'`));
    return new Promise((resolve, reject) => {
      const req = (this.options.tls === true ? httpsRequest : request)({
        ...(this.options.tls === true ? { rejectUnauthorized: false } : {}),
        host: target.host,
        port: target.port,
        path: REPLICATION_PATH,
        method: "GET",
        timeout: timeoutMs,
        headers: { Connection: "Upgrade", Upgrade: REPLICATION_PROTOCOL },
      });
      req.on("upgrade", (_res, socket: Socket, head: Buffer) => {
        req.setTimeout(0);
        resolve(new SocketStream(socket, head));
      });
      req.on("response", (res) => {
        res.resume();
        reject(new ReplicationError(`peer answered ${res.statusCode} instead of upgrading`));
      });
      req.on("timeout", () => req.destroy(new ReplicationError("connect timeout")));
      req.on("error", (err) => reject(err));
      req.end();
    });
  }
}

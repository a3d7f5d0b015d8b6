/**
 * The HTTP server of `shoal start`: node:http's, or with a certificate node:http2's secure server
 * with `allowHTTP1`, so browsers get HTTP/2 (many event streams on one connection instead of six
 * HTTP/1.1 connections per origin) and HTTP/1.1 clients and replication upgrades keep working on
 * the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { Socket } from "node:net";

/** Bounds receiving a request (headers + body), not the response: streams stay open. */
const REQUEST_TIMEOUT_MS = 60_000;
const HEADERS_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections (and idle HTTP/2 sessions) are closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

const sockets = new WeakMap<Http2SecureServer, Set<Socket>>();

/** A server for `handler`: HTTPS + HTTP/2 when `tls` is given, plain HTTP/1.1 otherwise. */
export function createHttpServer(
  options: { tls?: { cert: Buffer; key: Buffer } | null },
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Server | Http2SecureServer {
  if (options.tls == null) {
    const server = createServer(handler);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    return server;
  }
  // The compatibility API's request/response mirror node:http's; the broker uses only that part.
  const server = createSecureServer(
    { cert: options.tls.cert, key: options.tls.key, allowHTTP1: true },
    handler as unknown as Parameters<typeof createSecureServer>[1],
  );
  const open = new Set<Socket>();
  sockets.set(server, open);
  server.on("secureConnection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  return server;
}

/** Drops every open connection (the end of a graceful stop, or a demo node's kill). */
export function closeAllConnections(server: Server | Http2SecureServer): void {
  if ("closeAllConnections" in server) server.closeAllConnections();
  for (const socket of sockets.get(server as Http2SecureServer) ?? []) socket.destroy();
}

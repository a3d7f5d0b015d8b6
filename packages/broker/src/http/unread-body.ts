/**
 * Answering a request whose body was not read (refused before or while reading it). A small,
 * declared body is drained so the keep-alive connection survives; anything larger, or of unknown
 * length, gets `Connection: close` and is not read on: otherwise a client could stream gigabytes
 * into a request that was already refused.
 */
import type { IncomingMessage } from "node:http";

/** Bodies up to this many declared bytes are drained rather than costing the connection (Go drains 256 KiB). */
export const DRAIN_UNREAD_BYTES = 64 * 1024;

/**
 * After the answer, the connection is half-closed and then lingers this long, reading at most
 * {@link LINGER_BYTES}, before it is dropped: closing at once with unread input makes the kernel
 * send a reset that can destroy the answer before the client reads it (Go waits 500 ms too).
 */
export const LINGER_MS = 500;
export const LINGER_BYTES = 256 * 1024;

/** Headers to add to the error answer; drains the body when that is cheap, else closes after. */
export function unreadBodyHeaders(req: IncomingMessage): Record<string, string> {
  if (req.readableEnded || req.complete) return {};
  const declared = req.headers["content-length"];
  // No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 6.3).
  const length = declared === undefined ? 0 : Number(declared);
  if (req.headers["transfer-encoding"] === undefined && length <= DRAIN_UNREAD_BYTES) {
    req.resume();
    return {};
  }
  lingerThenClose(req);
  return { Connection: "close" };
}

/**
 * node:http ends a `Connection: close` exchange with `socket.destroySoon()` (half-close, then
 * destroy as soon as that is written). Here it half-closes and lingers instead, bounded in time
 * and bytes, so the answer arrives before the connection is dropped.
 */
function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    let read = 0;
    req.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > LINGER_BYTES) socket.destroy();
    });
  };
}

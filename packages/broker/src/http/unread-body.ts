/**
 * Answering a request whose body was not read (refused before or while reading it). A small,
 * declared body is drained so the keep-alive connection survives; anything larger, or of unknown
 * length, gets `Connection: close` and is not read on: otherwise a client could stream gigabytes
 * into a request that was already refused.
 */
import type { IncomingMessage } from "node:http";

/** Bodies up to this many declared bytes are drained rather than costing the connection (Go drains 256 KiB). */
export const DRAIN_UNREAD_BYTES = 64 * 1024;

/** Headers to add to the error answer; drains the body when that is cheap. */
export function unreadBodyHeaders(req: IncomingMessage): Record<string, string> {
  if (req.readableEnded || req.complete) return {};
  const declared = req.headers["content-length"];
  const length = declared === undefined ? Number.NaN : Number(declared);
  if (req.headers["transfer-encoding"] === undefined && length <= DRAIN_UNREAD_BYTES) {
    req.resume();
    return {};
  }
  // Node ends the socket once a `Connection: close` answer is sent, instead of reading on.
  return { Connection: "close" };
}

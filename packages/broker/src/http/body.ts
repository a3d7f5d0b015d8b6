/**
 * Reading a JSON request body with a size limit and a content-type check. Every failure is a
 * {@link RequestError} with the right 4xx status; the connection is never left hanging.
 */
import type { IncomingMessage } from "node:http";
import { RequestError } from "../errors.ts";
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from "./json-depth.ts";

/** True for `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semi = header.indexOf(";");
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase() === "application/json";
}

/**
 * Reads and parses the body; rejects oversized, too deeply nested, non-JSON or wrongly typed
 * bodies. On a rejection the rest of the body is left unread: the caller answers and decides
 * whether to drain it or close the connection (see `unreadBodyHeaders`).
 */
export function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  maxDepth: number = DEFAULT_MAX_JSON_DEPTH,
): Promise<unknown> {
  if (!isJsonContentType(req.headers["content-type"])) {
    return Promise.reject(new RequestError(415, "ERR_CONTENT_TYPE", "Content-Type must be application/json"));
  }
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) {
    return Promise.reject(new RequestError(413, "ERR_TOO_LARGE", `body larger than ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(new RequestError(413, "ERR_TOO_LARGE", `body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      if (!failed) reject(new RequestError(400, "ERR_BAD_BODY", "request body could not be read"));
      failed = true;
    });
    req.on("close", () => {
      // Aborted before the end: settle, so nothing waits on a body that will never come.
      if (!failed && !req.complete) {
        failed = true;
        reject(new RequestError(400, "ERR_BAD_BODY", "request body was cut short"));
      }
    });
    req.on("end", () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString("utf8");
      if (exceedsJsonDepth(text, maxDepth)) {
        reject(new RequestError(400, "ERR_JSON_DEPTH", `JSON nested deeper than ${maxDepth} levels`));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new RequestError(400, "ERR_BAD_JSON", "body is not valid JSON"));
      }
    });
  });
}

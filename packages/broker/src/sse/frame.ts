/**
 * Server-Sent Events framing (WHATWG HTML §9.2). Pure string building, no I/O.
 * A field value must not contain CR or LF; data is split into one `data:` line per line of
 * the payload, whatever its line endings (CRLF, CR or LF), so any payload survives intact.
 */

const LINE_BREAK = /\r\n|\r|\n/;

/** The parts of an event that are the same for every subscriber. */
export interface EventFields {
  event?: string | undefined;
  data: string;
  retry?: number | undefined;
}

/** True when `value` can be an `event:`/`id:` field value (no CR, LF or NUL). */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0) return false;
  }
  return true;
}

/**
 * Frames the body of an event: `event:`, `retry:` and the `data:` lines, with the blank line
 * that ends the event. The `id:` line, which differs per feed, is prepended by {@link withId}.
 */
export function frameBody(fields: EventFields): string {
  let out = "";
  if (fields.event !== undefined && fields.event !== "") out += `event: ${fields.event}\n`;
  if (fields.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(fields.retry))}\n`;
  const data = fields.data;
  if (data.indexOf("\n") === -1 && data.indexOf("\r") === -1) {
    out += `data: ${data}\n\n`;
  } else {
    for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
    out += "\n";
  }
  return out;
}

/** Prefixes a framed body with its `id:` line. */
export function withId(id: string, body: string): string {
  return `id: ${id}\n${body}`;
}

/** A comment line; clients ignore it, proxies see traffic. */
export function comment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/** A `retry:` instruction alone: it changes the client's reconnection delay, dispatches nothing. */
export function retryOnly(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** `base` ± `jitter` (a fraction, 0..1) so that clients told to reconnect spread out over time. */
export function jitteredRetry(baseMs: number, jitter: number, random: () => number = Math.random): number {
  const spread = baseMs * Math.min(1, Math.max(0, jitter));
  return Math.max(0, Math.round(baseMs - spread + 2 * spread * random()));
}

/** Response headers of an event stream (no `Connection`: HTTP/1.1 keeps alive by default and node adds it; HTTP/2 forbids it). */
export const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
});

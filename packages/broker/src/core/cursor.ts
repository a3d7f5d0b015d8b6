/**
 * Resume cursors. There is no global order between publishing nodes, so a cursor is a vector:
 * for each origin (one broker run), the highest sequence number the client has seen from it.
 * It travels as the SSE `id:` and comes back as `Last-Event-ID`.
 *
 * Text form: `c` then `origin.seq` entries joined by `~`, seq in base 36; origin ids are
 * base64url, so the whole id stays within URL-safe characters. The empty vector is `c`.
 */

/** origin id -> highest sequence seen. */
export type Vector = Map<string, number>;

const ORIGIN = /^[A-Za-z0-9_-]{1,32}$/;
const SEQ = /^[0-9a-z]{1,11}$/;
/** Longest `Last-Event-ID` accepted: bounds the work a hostile header can cause. */
export const MAX_CURSOR_LENGTH = 4096;

/** Encodes a vector into its id text. Entries keep insertion order; any order decodes the same. */
export function encodeCursor(vector: Vector): string {
  let out = "c";
  let first = true;
  for (const [origin, seq] of vector) {
    out += `${first ? "" : "~"}${origin}.${seq.toString(36)}`;
    first = false;
  }
  return out;
}

/** Decodes id text into a vector, or returns `null` when it is not a cursor of ours. */
export function decodeCursor(text: string): Vector | null {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || text.charCodeAt(0) !== 99 /* c */) return null;
  const vector: Vector = new Map();
  if (text.length === 1) return vector;
  for (const entry of text.slice(1).split("~")) {
    const dot = entry.lastIndexOf(".");
    if (dot <= 0) return null;
    const origin = entry.slice(0, dot);
    const seqText = entry.slice(dot + 1);
    if (!ORIGIN.test(origin) || !SEQ.test(seqText) || vector.has(origin)) return null;
    const seq = Number.parseInt(seqText, 36);
    if (!Number.isSafeInteger(seq)) return null;
    vector.set(origin, seq);
  }
  return vector;
}

/** Raises `into[o]` to `from[o]` for every origin of `from`. */
export function mergeInto(into: Vector, from: Vector): void {
  for (const [origin, seq] of from) {
    if ((into.get(origin) ?? 0) < seq) into.set(origin, seq);
  }
}

/** True when `a` has some origin strictly ahead of `b`. */
export function isAheadOf(a: Vector, b: Vector): boolean {
  for (const [origin, seq] of a) {
    if (seq > (b.get(origin) ?? 0)) return true;
  }
  return false;
}

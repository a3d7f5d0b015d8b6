/**
 * How channels live in Redis. One stream per channel, `shoal:{<channel>}:s`, and a small hash
 * beside it, `shoal:{<channel>}:m`, holding the stream's base (`b`) and last sequence (`s`).
 * The braces are a Redis Cluster hash tag: both keys of a channel hash to the same slot, so the
 * scripts (which touch both) run on one shard.
 *
 * An event's identity is (origin, seq) as in the mesh, with the origin naming the channel's
 * stream instead of a broker run (11 characters of a hash of the channel name), so every broker
 * derives the same cursor for the same event, across restarts. Entry ids are `<seq>-0`. Seqs are
 * dense within a stream and start above the server's clock in microseconds when the stream is
 * created, so a stream that expired or that Redis lost and began again continues above every
 * seq it ever had: a reader's old position and a client's old cursor can never hide new events.
 */

import { createHash } from "node:crypto";
import type { BrokerEvent } from "../core/event.ts";

/** Key prefix of every key the backplane writes. */
export const KEY_PREFIX = "shoal:";

/** The stream key of a channel (hash-tagged). */
export function streamKey(channel: string): string {
  return `${KEY_PREFIX}{${channel}}:s`;
}

/** The meta hash key of a channel (same hash tag, same slot). */
export function metaKey(channel: string): string {
  return `${KEY_PREFIX}{${channel}}:m`;
}

const TAG_CHARS = 11;

/** The origin of a channel's stream: stable across nodes and restarts (66 bits of SHA-256). */
export function streamOrigin(channel: string): string {
  return createHash("sha256").update(channel).digest("base64url").slice(0, TAG_CHARS);
}

/** Field/value pairs stored per entry (short names: they are repeated in every entry). */
export function entryFields(ev: Omit<BrokerEvent, "origin" | "seq" | "channel">): string[] {
  const out = ["t", String(ev.time), "d", ev.data];
  if (ev.client !== undefined) out.push("c", ev.client);
  if (ev.event !== undefined) out.push("n", ev.event);
  if (ev.retry !== undefined) out.push("r", String(ev.retry));
  if (ev.userId !== undefined) out.push("u", ev.userId);
  return out;
}

/**
 * Decodes one stream entry (`<seq>-0` and its flat field list) into an event, or null when it is
 * not one of ours (a foreign writer): such entries are skipped, never delivered.
 */
export function decodeEntry(
  channel: string,
  origin: string,
  id: string,
  fields: string[],
): BrokerEvent | null {
  const seq = seqOfId(id);
  if (seq === null) return null;
  let time = 0;
  let data: string | undefined;
  let client: string | undefined;
  let event: string | undefined;
  let retry: number | undefined;
  let userId: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const v = fields[i + 1]!;
    switch (fields[i]) {
      case "t":
        time = Number(v);
        break;
      case "d":
        data = v;
        break;
      case "c":
        client = v;
        break;
      case "n":
        event = v;
        break;
      case "r":
        retry = Number(v);
        break;
      case "u":
        userId = v;
        break;
    }
  }
  if (data === undefined) return null;
  return {
    origin,
    seq,
    time: Number.isFinite(time) ? time : 0,
    channel,
    client,
    event,
    data,
    retry: retry !== undefined && Number.isFinite(retry) ? retry : undefined,
    userId,
  };
}

/** The seq of an entry id `<seq>-0`, or null. */
export function seqOfId(id: string): number | null {
  const m = /^(\d{1,16})-0$/.exec(id);
  if (m === null) return null;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) ? seq : null;
}

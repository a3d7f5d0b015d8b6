/** The unit the broker stores, replicates and delivers. */

/** Channel name that means "every channel" (POST /channel). Not a valid name for a channel itself. */
export const ALL_CHANNELS = "*";

/** One published event. `(origin, seq)` is its identity across the cluster. */
export interface BrokerEvent {
  /** Id of the broker run that accepted it (random per start, so a restart never reuses seqs). */
  readonly origin: string;
  /** 1, 2, 3... per origin, across all channels. */
  readonly seq: number;
  /** Acceptance time at the origin, ms since the epoch. */
  readonly time: number;
  /** Target channel, or {@link ALL_CHANNELS}. */
  readonly channel: string;
  /** When set, only subscribers with this client id receive it. */
  readonly client?: string | undefined;
  /** The SSE `event:` name. */
  readonly event?: string | undefined;
  /** The payload: strings as is, other JSON values serialised. */
  readonly data: string;
  /** The SSE `retry:` value (ms). */
  readonly retry?: number | undefined;
  /** The publisher's own `id` field, kept for reference (SSE `id:` carries our cursor). */
  readonly userId?: string | undefined;
}

/** Valid channel and client names: 1..128 of letters, digits and `_ . ~ : @ -`. */
const NAME = /^[\w.~:@-]{1,128}$/;

/** True when `name` may name a channel or a client. */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

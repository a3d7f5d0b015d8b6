/**
 * The seam between the broker and an event backplane. Without one, events travel over the
 * cluster mesh (every broker replicates to every other). With one, the two directions of an
 * event's life go through it instead:
 *
 * - "an accepted event leaves its node": {@link Backplane.append} resolves once the backplane
 *   holds the event (that is what a 2xx to the publisher means), rejects with a 503 otherwise;
 * - "events of a channel arrive here": the backplane reads the channels this node has
 *   subscribers for and hands their events to the hub (`Hub.apply`), in order, each once;
 *   {@link Backplane.open} starts reading a new stream's channels and fetches what its cursor missed.
 */

import type { Backfill } from "../core/backfill.ts";
import type { BrokerEvent } from "../core/event.ts";
import type { PublishInput } from "../core/hub.ts";

/** Connection state of a backplane: `up` serves, `down` refuses publishes and retries with backoff. */
export type BackplaneState = "connecting" | "up" | "down" | "closed";

/** What `/status`, `/healthz` and the dashboard show of the backplane. */
export interface BackplaneStatus {
  kind: "redis";
  /** Where it connects (no credentials). */
  target: string;
  state: BackplaneState;
  /** When the state last changed, ms since the epoch. */
  since: number;
  /** Last connection or command error, if any since the last `up`. */
  lastError: string | null;
  /** Reconnection attempts since start. */
  reconnects: number;
  /** Channel streams this node reads now (channels with local subscribers, plus broadcasts). */
  streamsRead: number;
  /** Events appended here / refused (503) / read from the backplane. */
  appended: number;
  appendFailures: number;
  eventsRead: number;
  /** Payload bytes read from the backplane. */
  bytesRead: number;
}

/** A new stream's hold on its channels; `release` once the stream is attached or failed. */
export interface OpenStream {
  backfill: Backfill;
  release(): void;
}

/** An event backplane (see the module comment). */
export interface Backplane {
  /** Connects and starts reading; resolves once connected or after the first failed attempt (it keeps retrying). */
  start(): Promise<void>;
  append(input: PublishInput): Promise<BrokerEvent>;
  open(channels: string[], cursor: string | null): Promise<OpenStream>;
  status(): BackplaneStatus;
  close(): Promise<void>;
}

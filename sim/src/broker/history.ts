/**
 * What a broker run leaves behind for the checker: every publish with the answer its publisher
 * got, and every subscriber's streams frame by frame. The same record comes from the simulator
 * and from the real-process tests, so one checker judges both.
 */

/** What the publisher heard back: 2xx, 503 (the event may still exist), or nothing at all. */
export type PublishOutcome = "acked" | "refused" | "unanswered";

/** One publish attempt. `token` is the event's payload and unique in the run. */
export interface PublishRecord {
  token: string;
  channel: string;
  /** The node it was sent to. */
  node: string;
  /** When it was sent (virtual or wall ms; one clock per run). */
  at: number;
  outcome: PublishOutcome;
  /** When the answer came (acked and refused only). */
  answeredAt?: number;
  /** Origin and seq from a 2xx body, when the broker said them. */
  origin?: string;
  seq?: number;
}

/** One frame of a stream, as the client parsed it. */
export type StreamFrame =
  /** `shoal-ready`: the stream's starting cursor. */
  | { kind: "ready"; id: string; at: number }
  /** An event: its payload token and the `id:` after it (a cursor). */
  | { kind: "event"; token: string; id: string; at: number }
  /** `reset`: the client missed events that are gone. An `id:` on it counts as the cursor after. */
  | { kind: "reset"; at: number; id?: string };

/** One connection of a subscriber. */
export interface StreamSession {
  node: string;
  /**
   * Which run of the node served it (its origin), when known: a restarted node starts with an
   * empty history, so only what the same run showed is its to replay. Without it, the node's name.
   */
  run?: string;
  openedAt: number;
  /** The `Last-Event-ID` it was opened with (null: a fresh stream). */
  lastEventId: string | null;
  frames: StreamFrame[];
}

/**
 * A subscriber: one channel, one client, its sessions in order; every session after the first
 * resumed with the last `id:` the previous ones gave.
 */
export interface SubscriberRecord {
  name: string;
  channel: string;
  sessions: StreamSession[];
  /**
   * True when its last session was still open on a live node when the run ended (after the
   * settling time): only then must it hold every acknowledged event.
   */
  connectedAtEnd: boolean;
}

/** A whole run. */
export interface RunHistory {
  publishes: PublishRecord[];
  subscribers: SubscriberRecord[];
  /** Faults injected, for the report (the checker does not need them). */
  faults?: { kind: string; node?: string; at: number }[];
}

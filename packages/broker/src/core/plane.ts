/**
 * The publish/acknowledge seam between the HTTP layer and whatever spreads events across the
 * cluster (the built-in replication, or another backplane). The router only calls
 * {@link EventPlane.publish} and answers after it settles; what "acknowledged" means is the
 * plane's {@link AckMode}.
 */
import { BrokerError } from "../errors.ts";
import type { BrokerEvent } from "./event.ts";
import type { PublishInput } from "./hub.ts";

/**
 * When a publish counts as acknowledged:
 * - `local`: held by the accepting node (in memory); lost if that node dies before replicating.
 * - `one`: held by the accepting node and at least one other live member (when there is one).
 * - `all`: held by every live member.
 */
export type AckMode = "local" | "one" | "all";

export const ACK_MODES: readonly AckMode[] = ["local", "one", "all"];

/** Accepts events published on this node and spreads them. */
export interface EventPlane {
  /**
   * Accepts an event (it is delivered locally at once) and resolves once the ack mode holds.
   * Rejects with {@link AckTimeoutError} when it does not hold in time: the event was accepted
   * here and may still reach the others.
   */
  publish(input: PublishInput): Promise<BrokerEvent>;
  /** Resolves true once every live peer holds every event accepted here; false on timeout. */
  waitReplicated(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** The ack condition did not hold in time (HTTP 503). The event was accepted here (state changed). */
export class AckTimeoutError extends BrokerError {
  constructor(
    readonly event: BrokerEvent,
    readonly mode: AckMode,
    readonly waitedMs: number,
    /** The node had not joined its cluster yet, so no peer could acknowledge. */
    readonly joining = false,
  ) {
    super(
      "ERR_NOT_REPLICATED",
      `event ${event.origin}.${event.seq} was accepted here but not acknowledged by ${
        mode === "all" ? "every live peer" : "any peer"
      } within ${waitedMs} ms${
        joining ? " (this node has not joined its cluster yet)" : ""
      }; it may still be delivered (do not assume it was lost, nor that it was not)`,
    );
  }
}

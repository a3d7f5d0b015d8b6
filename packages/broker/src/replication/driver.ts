/**
 * THE REPLICATION SEAM: everything replication takes from the outside world, in one place.
 *
 * Replication (links, handshakes, acks, retries, repair) never calls `Date`, `setTimeout`,
 * `setImmediate`, `crypto.randomBytes` or `node:net` itself. It is handed a {@link ReplicationDriver}:
 *
 * - IN  `runtime`   — `@shoal/memberlist`'s {@link Runtime}: a monotonic clock (`now`), one-shot
 *                     timers (`setTimer`, cancellable), `random` and `randomBytes` (link nonces).
 * - IN  `wallClock` — ms since the epoch, for event times and lag figures (the simulator gives its
 *                     virtual time; production gives `Date.now`).
 * - IN  `network`   — a {@link LinkNetwork}: `dial(httpAddr)` opens a byte {@link Stream} to a peer's
 *                     replication endpoint; streams peers open to us are handed to the function
 *                     given to `setAcceptHandler`. Production: an HTTP upgrade on the broker's own
 *                     port (`http-network.ts`); the simulator: `sim/src/stream.ts`'s streams.
 * - OUT bytes       — everything replication says goes out as bytes on those streams (framed,
 *                     encrypted with the cluster key when there is one; see `link.ts`), and it
 *                     closes a stream when it is done with it. Nothing else leaves.
 *
 * The other inputs are the broker's own: the {@link Hub} (events in and out) and the
 * {@link Membership} (who the live peers are). The output the broker sees is the
 * {@link EventPlane} in `core/plane.ts`: `publish()` resolving once the ack mode is satisfied.
 *
 * A stream given by the network is trusted for nothing: the link protocol itself authenticates
 * (with a key) or checks membership (without), and bounds what an unauthenticated stream may cost.
 */
import type { Runtime, Stream, Timer } from "@shoal/memberlist";

export type { Runtime, Stream, Timer };

/** Where replication streams come from and go to. */
export interface LinkNetwork {
  /**
   * Opens a stream to the replication endpoint at `httpAddr` (`host:port`, as membership gives
   * it). Rejects when it cannot connect within `timeoutMs`.
   */
  dial(httpAddr: string, timeoutMs: number): Promise<Stream>;
  /** Where streams peers open to us go. Set once, before traffic flows. */
  setAcceptHandler(handler: (stream: Stream) => void): void;
}

/** The outside world, as replication sees it. */
export interface ReplicationDriver {
  runtime: Runtime;
  /** Wall-clock ms since the epoch (event times, lag). */
  wallClock(): number;
  network: LinkNetwork;
}

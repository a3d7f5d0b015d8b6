/**
 * Bounds on open event streams: in total, and per client address. An idle stream costs a file
 * descriptor and a little memory for as long as the client likes; without a bound, enough of
 * them exhaust descriptors and then nothing works, `/healthz` included. The total is kept below
 * the descriptor limit (see `fd-limit.ts`), which leaves room for `/healthz`, `/metrics`,
 * publishes and replication links: those are never counted here.
 */
import { RequestError } from "../errors.ts";
import type { LimitCounters } from "./limits.ts";

/** Default most open streams per node: well under a typical 20k-65k descriptor limit. */
export const DEFAULT_MAX_STREAMS = 10_000;
/**
 * Default most open streams per client address: a large office behind one NAT address fits,
 * while one host cannot take more than a small share of the total.
 */
export const DEFAULT_MAX_STREAMS_PER_ADDRESS = 256;

/** Seconds suggested to a refused client before it tries again. */
const RETRY_AFTER_S = "5";

export class StreamLimiter {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
    private readonly counters: LimitCounters,
  ) {}

  /** Streams counted now. */
  get open(): number {
    return this.total;
  }

  /**
   * Takes a slot for a stream from `address`, or throws a 503 {@link RequestError} (nothing
   * taken). Returns the function that gives the slot back; it may be called more than once.
   */
  acquire(address: string): () => void {
    if (this.total >= this.maxTotal) {
      this.counters.hit("connections_total");
      throw new RequestError(
        503,
        "ERR_TOO_MANY_STREAMS",
        `this node has its maximum of ${this.maxTotal} open streams; retry later or elsewhere`,
      );
    }
    const mine = this.perAddress.get(address) ?? 0;
    if (mine >= this.maxPerAddress) {
      this.counters.hit("connections_per_address");
      throw new RequestError(
        503,
        "ERR_TOO_MANY_STREAMS_FROM_ADDRESS",
        `${this.maxPerAddress} streams are already open from this address`,
      );
    }
    this.total++;
    this.perAddress.set(address, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    };
  }
}

/** `Retry-After` for a refusal by this limiter. */
export const STREAM_LIMIT_HEADERS: Record<string, string> = { "Retry-After": RETRY_AFTER_S };

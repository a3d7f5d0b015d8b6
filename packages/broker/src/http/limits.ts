/**
 * Counts of requests refused by each of the broker's limits, for `/metrics`
 * (`shoal_limit_rejections_total{limit="..."}`), so an operator sees which bound is being hit.
 */

/** The limits a request can run into. */
export type LimitName =
  | "body_size"
  | "json_depth"
  | "channels"
  | "connections_total"
  | "connections_per_address"
  | "http_connections_total"
  | "http_connections_per_address"
  | "http_first_request_timeout";

export class LimitCounters {
  private readonly counts = new Map<LimitName, number>();

  /** Records one refusal by `limit`. */
  hit(limit: LimitName): void {
    this.counts.set(limit, (this.counts.get(limit) ?? 0) + 1);
  }

  /** Refusals so far, one entry per limit ever hit. */
  entries(): { limit: LimitName; count: number }[] {
    return [...this.counts].map(([limit, count]) => ({ limit, count }));
  }
}

/** Builds the backplane `createBroker` was asked for, wired to the hub. */

import type { Hub } from "../core/hub.ts";
import type { Logger } from "../log.ts";
import { RedisBackplane } from "./redis-backplane.ts";
import { parseRedisUrl, type RedisTarget } from "./redis-url.ts";

/** The `backplane` option of `createBroker`. */
export interface BackplaneOptions {
  /** `redis://host:port[/db]` (or already parsed). */
  url: string | RedisTarget;
  /** Longest wait for Redis on a publish or resume before a 503, ms (default 2 s). */
  timeoutMs?: number;
}

/**
 * A Redis backplane for `hub`: the channel streams are capped at `maxLen` entries and expire
 * `ttlMs` after their last publish; it reads the channels the hub has subscribers for.
 */
export function createRedisBackplane(
  option: string | BackplaneOptions,
  hub: Hub,
  limits: { maxLen: number; ttlMs: number },
  logger: Logger,
): RedisBackplane {
  const spec = typeof option === "string" ? { url: option } : option;
  const target = typeof spec.url === "string" ? parseRedisUrl(spec.url) : spec.url;
  const backplane = new RedisBackplane(
    {
      target,
      maxLen: Math.max(1, limits.maxLen),
      ttlMs: Math.max(1_000, limits.ttlMs),
      ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
      logger,
    },
    hub,
  );
  hub.onInterest((channel, interested) => backplane.setInterest(channel, interested));
  return backplane;
}

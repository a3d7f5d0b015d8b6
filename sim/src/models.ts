/**
 * The analytical yardsticks the simulated numbers are shown against.
 */

import type { MemberlistConfig } from "@shoal/memberlist";
import { suspicionConfirmationsWanted, suspicionTimeout } from "@shoal/memberlist/internal";

/**
 * The epidemic model of Serf's convergence simulator, as we understand it: every gossip interval,
 * each informed member sends the news to `fanout` random members, each packet lost with
 * probability `loss`. Returns the expected informed fraction after each round (round 0: one member).
 */
export function epidemicCurve(n: number, fanout: number, loss: number, rounds: number): number[] {
  const out = [1 / n];
  let informed = 1;
  for (let r = 0; r < rounds; r++) {
    // An uninformed member stays uninformed if every packet of every informed member misses it.
    const pMiss = 1 - (1 - loss) / Math.max(1, n - 1);
    const stay = pMiss ** (informed * fanout);
    informed += (n - informed) * (1 - stay);
    out.push(informed / n);
  }
  return out;
}

/**
 * Time (ms) at which the epidemic model has informed `fraction` of `n` members, counted as the
 * simulation counts them: ceil(fraction * n) members, reached when the expected number informed
 * is within half a member of it. So 99.99% and 100% coincide below 10,000 members.
 */
export function epidemicTime(
  n: number,
  fanout: number,
  loss: number,
  intervalMs: number,
  fraction: number,
): number {
  const curve = epidemicCurve(n, fanout, loss, 400);
  const target = (Math.ceil(fraction * n - 1e-9) - 0.5) / n;
  for (let r = 0; r < curve.length; r++) if (curve[r]! >= target) return r * intervalMs;
  return Number.POSITIVE_INFINITY;
}

/**
 * SWIM's expected time to the first probe of a failed member by someone, in probe intervals:
 * each of n-1 members picks it with probability 1/(n-1) per interval, so the wait is geometric
 * with mean 1 / (1 - (1 - 1/(n-1))^(n-1)), which tends to e/(e-1) ~ 1.58.
 */
export function swimFirstProbeIntervals(n: number): number {
  const m = Math.max(1, n - 1);
  return 1 / (1 - (1 - 1 / m) ** m);
}

/** memberlist's suspicion timeouts for a cluster of `n` (min: with all confirmations; max: none). */
export function suspicionBounds(
  config: MemberlistConfig,
  n: number,
): { minMs: number; maxMs: number; confirmations: number } {
  const minMs = suspicionTimeout(config.suspicionMult, n, config.probeInterval);
  return {
    minMs,
    maxMs: config.suspicionMaxTimeoutMult * minMs,
    confirmations: suspicionConfirmationsWanted(config.suspicionMult, n),
  };
}

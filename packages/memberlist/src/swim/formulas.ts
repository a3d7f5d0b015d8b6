/**
 * The numbers of memberlist's scaling rules, in one place so tests and the simulator's reports can
 * quote them. Each follows Go memberlist's code (not its comments, where the two differ).
 */

/** How many times a broadcast is retransmitted: mult * ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  const nodeScale = Math.ceil(Math.log10(n + 1));
  return retransmitMult * nodeScale;
}

/**
 * Minimum suspicion timeout: mult * max(1, log10(max(1, n))) * interval, with the scale truncated to
 * three decimals as Go does in integer arithmetic.
 */
export function suspicionTimeout(suspicionMult: number, n: number, probeInterval: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return (suspicionMult * Math.trunc(nodeScale * 1000) * probeInterval) / 1000;
}

/** Push/pull interval: unchanged up to 32 nodes, then one more interval per doubling. */
export function pushPullScale(interval: number, n: number): number {
  const threshold = 32;
  if (n <= threshold) return interval;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1;
  return interval * multiplier;
}

/** Independent confirmations a suspicion waits for before it reaches its minimum timeout. */
export function suspicionConfirmationsWanted(suspicionMult: number, n: number): number {
  const k = suspicionMult - 2;
  return n - 2 < k ? 0 : k;
}

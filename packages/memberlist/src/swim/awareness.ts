/**
 * Lifeguard "LHA-Probe": a local health score. A node that misses acks or must refute rumours about
 * itself is probably the slow one, so it probes less often and waits longer before blaming others.
 */
export class Awareness {
  private score = 0;
  /** @param max AwarenessMaxMultiplier: the score stays in [0, max - 1]. */
  constructor(private readonly max: number) {}

  /** Moves the score by `delta`, clamped. */
  applyDelta(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  /** 0 is healthy; higher is worse. */
  getHealthScore(): number {
    return this.score;
  }

  /** Stretches a timeout by the current health: t * (score + 1). */
  scaleTimeout(ms: number): number {
    return ms * (this.score + 1);
  }
}

/**
 * Lifeguard "LHA-Probe": a local health score. A node that misses acks or must refute rumours about
 * itself is probably the slow one, so it probes less often and waits longer before blaming others.
 */
export class Awareness {
  private score = 0;
  /**
   * @param max AwarenessMaxMultiplier: the score stays in [0, max - 1].
   * @param onChange told the new score whenever it moves (Go sets `memberlist.health.score` then).
   */
  constructor(
    private readonly max: number,
    private readonly onChange: (score: number) => void = () => {},
  ) {}

  /** Moves the score by `delta`, clamped. */
  applyDelta(delta: number): void {
    const initial = this.score;
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
    if (this.score !== initial) this.onChange(this.score);
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

/**
 * A shared allowance of bytes, for buffers that hold input nobody has authenticated yet (inbound
 * stream messages still arriving). Each holder reserves what it grows by and gives it all back when it
 * is done, so the total any number of senders can make us hold stays under one bound.
 */
export class ByteBudget {
  private used = 0;

  /** @param limit the most bytes all holders may hold together. */
  constructor(readonly limit: number) {}

  /** Bytes held right now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `n` more bytes; false (and nothing taken) when that would pass the limit. */
  tryReserve(n: number): boolean {
    if (n <= 0) return true;
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  /** Gives back `n` bytes taken earlier. */
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

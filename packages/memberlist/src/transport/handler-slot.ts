/**
 * Holds the one handler a transport delivers packets or streams to. Items that arrive before the
 * handler is set wait in a small bounded queue (beyond it they are dropped), and a handler that throws
 * is logged instead of taking the socket's event loop callback (and the process) down with it.
 */
import type { Logger } from "../logger.ts";

export class HandlerSlot<T> {
  private handler: ((item: T) => void) | undefined;
  private readonly waiting: T[] = [];
  /** True while queued items await delivery to a newly set handler; new items queue behind them. */
  private draining = false;

  constructor(
    private readonly what: string,
    private readonly limit: number,
    private readonly logger: Logger,
    private readonly onDrop: (item: T) => void,
  ) {}

  /** Installs the handler; items queued so far are delivered on a later microtask, in order. */
  set(handler: (item: T) => void): void {
    this.handler = handler;
    if (this.waiting.length === 0 || this.draining) return;
    this.draining = true;
    queueMicrotask(() => {
      // Items pushed meanwhile joined the queue, so order is kept.
      for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
        if (this.handler !== undefined) this.call(this.handler, item);
      }
      this.draining = false;
    });
  }

  /** Delivers `item` now, or queues it until a handler exists. */
  push(item: T): void {
    if (this.handler !== undefined && !this.draining) {
      this.call(this.handler, item);
    } else if (this.draining || this.waiting.length < this.limit) {
      this.waiting.push(item);
    } else {
      this.logger.warn(`memberlist transport: no ${this.what} handler yet, dropping`);
      this.onDrop(item);
    }
  }

  /** Drops everything still queued (at shutdown). */
  clear(): void {
    for (const item of this.waiting.splice(0)) this.onDrop(item);
  }

  private call(handler: (item: T) => void, item: T): void {
    try {
      handler(item);
    } catch (err) {
      this.logger.error(`memberlist transport: ${this.what} handler threw: ${String(err)}`);
    }
  }
}

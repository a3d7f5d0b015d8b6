/**
 * Reads framed messages off a {@link Stream}. Chunks are merged into one growing buffer whose capacity
 * doubles, capped at the frame's known length, so a frame arriving in many small chunks costs linear
 * copying, not quadratic. Memory follows the bytes actually received, never the length a sender
 * announces: a peer that announces 20 MiB and sends 10 bytes costs about 10 bytes. With a
 * {@link ByteBudget}, everything the reader holds is reserved from it, so many readers together stay
 * under one bound. Bytes past the end of a frame stay for the next read.
 */

import type { Stream, Timer } from "../driver.ts";
import { DecodeError, LimitError, NetworkError, ShoalError, TimeoutError } from "../errors.ts";
import type { ByteBudget } from "./byte-budget.ts";

/** When a read must finish; `setTimer` has the shape of `Runtime.setTimer`. */
export interface ReadDeadline {
  /** Milliseconds from the start of the read; 0 or less expires at once unless the bytes are already here. */
  timeoutMs: number;
  setTimer(ms: number, fn: () => void): Timer;
}

/**
 * Tells how long the frame at the start of `buf` is, in bytes, or `undefined` if `buf` is too short
 * to tell yet. It may throw (a DecodeError) for bytes that can never start a valid frame. `buf` is a
 * view into the reader's buffer: do not keep it.
 */
export type FrameLength = (buf: Uint8Array) => number | undefined;

const EMPTY = new Uint8Array(0);

function asShoalError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err;
  return new DecodeError(`invalid frame: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

/**
 * Wraps a stream for framed reads. One read at a time. After a failed read the reader stays failed:
 * later reads reject with the same error, since the buffered bytes can no longer be trusted. Only a
 * timeout closes the stream; after a decode error the caller may still write (Go sends an errResp).
 */
export class StreamReader {
  /** Storage; the unread bytes are `buf[start, end)`. */
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  private busy = false;
  private failure: ShoalError | undefined;
  /** Bytes reserved from the budget: the capacity of `buf`. */
  private reserved = 0;

  /**
   * @param budget where the buffer's bytes are reserved from; a read that would grow the buffer past
   *   it fails with a LimitError (and the stream is closed).
   */
  constructor(
    readonly stream: Stream,
    private readonly budget?: ByteBudget,
  ) {}

  /** Bytes received from the stream and not yet returned by a read. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Bytes of memory the reader holds (its buffer's capacity). */
  get heldBytes(): number {
    return this.buf.length;
  }

  /**
   * Drops whatever is buffered and gives its bytes back to the budget; later reads fail. Call it
   * when the exchange is over.
   */
  release(): void {
    this.failure ??= new NetworkError("StreamReader: released");
    this.setBuffer(EMPTY, 0, 0);
  }

  /**
   * Resolves with the next frame: exactly `frameLength(buffered)` bytes, as soon as they are here.
   * A length of 0 is a valid, empty frame.
   * @param maxBytes the most bytes a frame may have, and the most to buffer while its length is unknown.
   * @throws TimeoutError when the deadline passes first (the stream is closed);
   *   DecodeError when the frame is too large or `frameLength` rejects the bytes;
   *   NetworkError ("connection closed") when the stream ends before a whole frame.
   */
  readFrame(frameLength: FrameLength, maxBytes: number, deadline: ReadDeadline): Promise<Uint8Array> {
    return this.read(frameLength, maxBytes, deadline);
  }

  /** Resolves with exactly the next `n` bytes; rejects as {@link readFrame} does. No deadline if none is given. */
  readExact(n: number, deadline?: ReadDeadline): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(new DecodeError(`cannot read ${n} bytes`));
    return this.read(() => n, n, deadline);
  }

  private async read(frameLength: FrameLength, maxBytes: number, deadline: ReadDeadline | undefined) {
    if (this.failure !== undefined) throw this.failure;
    if (this.busy) throw new NetworkError("StreamReader: another read is already in progress");
    this.busy = true;
    let timer: Timer | undefined;
    let expired: Promise<never> | undefined;
    try {
      let needed: number | undefined;
      for (;;) {
        needed ??= this.measure(frameLength, maxBytes);
        if (needed !== undefined && this.bufferedBytes >= needed) return this.take(needed);
        if (needed === undefined && this.bufferedBytes > maxBytes) {
          throw new DecodeError(`no complete frame within ${maxBytes} bytes`);
        }
        if (deadline !== undefined && expired === undefined) {
          const ms = Math.max(0, deadline.timeoutMs);
          expired = new Promise<never>((_, reject) => {
            timer = deadline.setTimer(ms, () =>
              reject(new TimeoutError(`stream read timed out after ${ms} ms`)),
            );
          });
          expired.catch(() => {}); // observed through the race below; never unhandled
        }
        const next = this.stream.read().catch((err: unknown) => {
          throw err instanceof ShoalError
            ? err
            : new NetworkError(`stream read failed: ${String(err)}`, { cause: err });
        });
        const chunk = await (expired === undefined ? next : Promise.race([next, expired]));
        if (chunk === null) {
          throw new NetworkError(
            `connection closed after ${this.bufferedBytes} bytes of an incomplete frame (from ${this.stream.remote.host}:${this.stream.remote.port})`,
          );
        }
        this.append(chunk, needed);
      }
    } catch (err) {
      const failure = asShoalError(err);
      this.failure = failure;
      // The buffered bytes are of no use any more: give them back now, not when the reader is collected.
      this.setBuffer(EMPTY, 0, 0);
      if (failure instanceof TimeoutError || failure instanceof LimitError) this.stream.close();
      throw failure;
    } finally {
      timer?.cancel();
      this.busy = false;
    }
  }

  private measure(frameLength: FrameLength, maxBytes: number): number | undefined {
    const n = frameLength(this.buf.subarray(this.start, this.end));
    if (n === undefined) return undefined;
    if (!Number.isSafeInteger(n) || n < 0) throw new DecodeError(`invalid frame length ${n}`);
    if (n > maxBytes) throw new DecodeError(`frame of ${n} bytes exceeds the limit of ${maxBytes}`);
    return n;
  }

  /**
   * Removes and returns the first `n` buffered bytes. Bytes before `end` are never written again
   * (appends go after it, growth goes to a new buffer), so handing out views is safe; we copy
   * whichever is smaller, the frame or the surplus, only so that a small frame does not pin a big
   * buffer. Total copying stays linear in the bytes read.
   */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const frameEnd = this.start + n;
    const surplus = this.end - frameEnd;
    if (n <= surplus) {
      const frame = new Uint8Array(this.buf.subarray(this.start, frameEnd));
      this.start = frameEnd;
      return frame;
    }
    const frame = this.buf.subarray(this.start, frameEnd);
    // The frame now belongs to the caller; only the surplus stays reserved.
    this.setBuffer(surplus === 0 ? EMPTY : new Uint8Array(this.buf.subarray(frameEnd, this.end)), 0, surplus);
    return frame;
  }

  /** Replaces the storage, reserving or giving back the difference in capacity. */
  private setBuffer(buf: Uint8Array, start: number, end: number): void {
    this.reserveCapacity(buf.length);
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  /** Makes the reservation match a buffer of `capacity` bytes; LimitError, with nothing changed, past the budget. */
  private reserveCapacity(capacity: number): void {
    const delta = capacity - this.reserved;
    if (delta > 0 && this.budget !== undefined && !this.budget.tryReserve(delta)) {
      throw new LimitError(
        `unfinished stream messages would hold more than ${this.budget.limit} bytes`,
        this.budget.limit,
      );
    }
    if (delta < 0) this.budget?.release(-delta);
    this.reserved = capacity;
  }

  /**
   * Adds a chunk. Capacity doubles (linear copying overall) but never past `needed`, the frame length
   * when known: growth follows what arrived, never what was announced.
   */
  private append(chunk: Uint8Array, needed: number | undefined): void {
    if (chunk.length === 0) return;
    const held = this.end - this.start;
    if (held === 0) {
      // Nothing to merge with: use the chunk itself (stream chunks belong to their reader).
      this.setBuffer(chunk, 0, chunk.length);
      return;
    }
    // Room left in a buffer we grew earlier (a chunk used as storage is always full).
    if (this.end + chunk.length <= this.buf.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    const total = held + chunk.length;
    const doubled = needed === undefined ? 2 * held : Math.min(2 * held, needed);
    const size = Math.max(total, doubled);
    // Reserved before allocating, so a refused growth allocates nothing.
    this.reserveCapacity(size);
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(this.start, this.end));
    grown.set(chunk, held);
    this.buf = grown;
    this.start = 0;
    this.end = total;
  }
}

/**
 * Reads framed messages off a {@link Stream}. Chunks are merged into one growing buffer (capacity at
 * least doubles, or jumps straight to a frame's known length), so a frame arriving in many small
 * chunks costs linear copying, not quadratic. Bytes past the end of a frame stay for the next read.
 */

import type { Stream, Timer } from "../driver.ts";
import { DecodeError, NetworkError, ShoalError, TimeoutError } from "../errors.ts";

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

  constructor(readonly stream: Stream) {}

  /** Bytes received from the stream and not yet returned by a read. */
  get bufferedBytes(): number {
    return this.end - this.start;
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
      if (failure instanceof TimeoutError) this.stream.close();
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
    this.buf = surplus === 0 ? EMPTY : new Uint8Array(this.buf.subarray(frameEnd, this.end));
    this.start = 0;
    this.end = surplus;
    return frame;
  }

  /** Adds a chunk; `needed` (the frame length, if known) sizes the buffer in one step. */
  private append(chunk: Uint8Array, needed: number | undefined): void {
    if (chunk.length === 0) return;
    const held = this.end - this.start;
    if (held === 0) {
      // Nothing to merge with: use the chunk itself (stream chunks belong to their reader).
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      return;
    }
    // Room left in a buffer we grew earlier (a chunk used as storage is always full).
    if (this.end + chunk.length <= this.buf.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    const total = held + chunk.length;
    const grown = new Uint8Array(Math.max(total, 2 * held, needed ?? 0));
    grown.set(this.buf.subarray(this.start, this.end));
    grown.set(chunk, held);
    this.buf = grown;
    this.start = 0;
    this.end = total;
  }
}

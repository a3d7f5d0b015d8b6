/**
 * Reads framed messages off a {@link Stream}. Until a frame's length is known, chunks are merged into
 * one buffer whose capacity doubles (linear copying, not quadratic), since measuring needs the bytes
 * contiguous. Once the length is known, further chunks are kept as they came (small ones packed into
 * blocks) and the frame is assembled by one copy when its last byte arrives. Memory follows the bytes
 * actually received, never the length a sender announces: a peer that announces 20 MiB and sends 10
 * bytes costs about 10 bytes, and one that sends all but the last byte costs what it sent, with no
 * doubled buffer or copies left behind. With a {@link ByteBudget}, everything the reader holds is
 * reserved from it, so many readers together stay under one bound. Bytes past the end of a frame stay
 * for the next read.
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
/** Chunks at least this large are kept as they are; smaller ones are packed into blocks. */
const KEEP_CHUNK_BYTES = 16 * 1024;
/**
 * Blocks that pack small chunks (so a sender trickling bytes cannot make us keep an object per byte)
 * grow with the tail, from 4 KiB to 64 KiB: a block never holds more spare room than has arrived.
 */
const MIN_BLOCK_BYTES = 4 * 1024;
const MAX_BLOCK_BYTES = 64 * 1024;

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
   * Bytes that follow `buf[start, end)` once the frame's length is known, in order: whole chunks and
   * filled blocks, then `block[0, blockUsed)`, a block still being filled.
   */
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private block: Uint8Array | null = null;
  private blockUsed = 0;
  /** Bytes reserved from the budget for the tail: its chunks plus the capacity of `block`. */
  private tailReserved = 0;

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
    return this.end - this.start + this.tailBytes;
  }

  /** Bytes of memory the reader holds (its buffers' capacity). */
  get heldBytes(): number {
    return this.buf.length + this.tailReserved;
  }

  /**
   * Drops whatever is buffered and gives its bytes back to the budget; later reads fail. Call it
   * when the exchange is over.
   */
  release(): void {
    this.failure ??= new NetworkError("StreamReader: released");
    this.dropAll();
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
      this.dropAll();
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
    if (this.tailBytes > 0) return this.assemble(n);
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

  /**
   * Copies the first `n` buffered bytes, which run into the tail, into one new frame; whatever
   * follows them becomes the head of the next frame. The frame belongs to the caller (not reserved).
   */
  private assemble(n: number): Uint8Array {
    const frame = new Uint8Array(n);
    const parts = [this.buf.subarray(this.start, this.end), ...this.tail];
    if (this.block !== null) parts.push(this.block.subarray(0, this.blockUsed));
    let o = 0;
    const rest: Uint8Array[] = [];
    for (const part of parts) {
      const use = Math.min(part.length, n - o);
      frame.set(part.subarray(0, use), o);
      o += use;
      if (use < part.length) rest.push(part.subarray(use));
    }
    this.dropAll();
    if (rest.length === 1) this.setBuffer(new Uint8Array(rest[0]!), 0, rest[0]!.length);
    else if (rest.length > 1) {
      const size = rest.reduce((sum, r) => sum + r.length, 0);
      const head = new Uint8Array(size);
      let at = 0;
      for (const r of rest) {
        head.set(r, at);
        at += r.length;
      }
      this.setBuffer(head, 0, size);
    }
    return frame;
  }

  /** Forgets every buffered byte and gives all reserved bytes back. */
  private dropAll(): void {
    this.tail = [];
    this.tailBytes = 0;
    this.block = null;
    this.blockUsed = 0;
    this.budget?.release(this.tailReserved);
    this.tailReserved = 0;
    this.setBuffer(EMPTY, 0, 0);
  }

  /** Takes `n` bytes for the tail from the budget; LimitError, with nothing changed, past it. */
  private reserveTail(n: number): void {
    if (this.budget !== undefined && !this.budget.tryReserve(n)) {
      throw new LimitError(
        `unfinished stream messages would hold more than ${this.budget.limit} bytes`,
        this.budget.limit,
      );
    }
    this.tailReserved += n;
  }

  /** Keeps a chunk of a frame whose length is known: as it is when large, packed into a block when small. */
  private appendToTail(chunk: Uint8Array): void {
    if (chunk.length >= KEEP_CHUNK_BYTES) {
      this.reserveTail(chunk.length);
      this.closeBlock();
      this.tail.push(chunk);
    } else {
      if (this.block === null || this.blockUsed + chunk.length > this.block.length) {
        // chunk.length < KEEP_CHUNK_BYTES <= MAX_BLOCK_BYTES, so the chunk always fits.
        const size = Math.min(MAX_BLOCK_BYTES, Math.max(MIN_BLOCK_BYTES, this.tailBytes, chunk.length));
        this.reserveTail(size);
        this.closeBlock();
        this.block = new Uint8Array(size);
      }
      this.block.set(chunk, this.blockUsed);
      this.blockUsed += chunk.length;
    }
    this.tailBytes += chunk.length;
  }

  /**
   * Moves the block being filled to the tail. A block less than half full is copied to its exact
   * size first, so spare room never exceeds the bytes held.
   */
  private closeBlock(): void {
    const block = this.block;
    if (block === null) return;
    const used = this.blockUsed;
    if (used < block.length / 2) {
      this.tail.push(block.slice(0, used));
      this.budget?.release(block.length - used);
      this.tailReserved -= block.length - used;
    } else {
      this.tail.push(block.subarray(0, used));
    }
    this.block = null;
    this.blockUsed = 0;
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
   * Adds a chunk. While the frame's length is unknown, the head's capacity doubles (linear copying
   * overall); once it is known, chunks go to the tail and nothing is copied until the frame is whole.
   * Either way growth follows what arrived, never what was announced.
   */
  private append(chunk: Uint8Array, needed: number | undefined): void {
    if (chunk.length === 0) return;
    if (this.tailBytes > 0) {
      this.appendToTail(chunk);
      return;
    }
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
    if (needed !== undefined) {
      this.appendToTail(chunk);
      return;
    }
    const total = held + chunk.length;
    const size = Math.max(total, 2 * held);
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

/**
 * Framing of the replication stream: a 4-byte big-endian length, then that many bytes.
 * The reader refuses frames past a bound so a broken or hostile peer cannot make it buffer
 * without limit, and holds only the bytes actually received: an announced length allocates nothing.
 */
import { ReplicationError } from "../errors.ts";

/** Largest frame accepted (and produced). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Prefixes `payload` with its length. */
export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_BYTES)
    throw new ReplicationError(`frame of ${payload.length} bytes is too large`);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** Reassembles frames from stream chunks. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrameBytes largest frame accepted now (raise it once the peer is trusted). */
  constructor(public maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Feeds a chunk; returns the complete frames it finished. Throws {@link ReplicationError}. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes)
        throw new ReplicationError(
          `peer announced a frame of ${length} bytes (at most ${this.maxFrameBytes} now)`,
        );
      if (this.buffered < 4 + length) break;
      const all = this.take(4 + length);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= n;
    return out;
  }
}

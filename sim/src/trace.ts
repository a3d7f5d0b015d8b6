/**
 * A running 64-bit hash (two FNV-1a-style 32-bit lanes) of every event a run fires. Two runs are
 * the same run, event for event, exactly when their trace hashes match.
 */
export class TraceHash {
  private h1 = 0x811c9dc5;
  private h2 = 0x2545f491;
  /** Number of words mixed in, for the record. */
  words = 0;

  /** Mixes one 32-bit word (any number is truncated to its low 32 bits). */
  word(x: number): void {
    this.h1 = Math.imul(this.h1 ^ (x | 0), 0x01000193);
    this.h2 = Math.imul(this.h2 ^ ((x | 0) + 0x9e3779b9), 0x5bd1e995) ^ (this.h2 >>> 13);
    this.words++;
  }

  /** Mixes a virtual time, kept to a nanosecond so float noise below that cannot matter. */
  time(ms: number): void {
    const ns = Math.round(ms * 1e6);
    this.word(ns % 4294967296);
    this.word(Math.floor(ns / 4294967296));
  }

  /** Mixes every byte of `buf` (four at a time where possible). */
  bytes(buf: Uint8Array): void {
    this.word(buf.length);
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) {
      this.word(buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    }
    for (; i < buf.length; i++) this.word(buf[i]!);
  }

  /** The hash as 16 hex digits. */
  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, "0") + (this.h2 >>> 0).toString(16).padStart(8, "0");
  }
}

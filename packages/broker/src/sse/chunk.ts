/**
 * Bytes ready for the socket. Event streams bypass `res.write()` after the headers: the broker
 * writes HTTP/1.1 chunks to the socket itself, so that an event framed once per feed is also
 * chunk-framed once, and each delivery is a single `socket.write` of shared bytes.
 */

const CRLF = Buffer.from("\r\n");

/** One payload, with its chunked-encoding form built on first use and then shared. */
export class SharedChunk {
  private chunkedForm: Buffer | null = null;

  constructor(readonly raw: Buffer) {}

  static from(text: string): SharedChunk {
    return new SharedChunk(Buffer.from(text));
  }

  /** `<hex length>\r\n<payload>\r\n`. */
  get chunked(): Buffer {
    if (this.chunkedForm === null) {
      this.chunkedForm = Buffer.concat([Buffer.from(`${this.raw.length.toString(16)}\r\n`), this.raw, CRLF]);
    }
    return this.chunkedForm;
  }
}

/** Chunk-frames a one-off string (replays, targeted events). */
export function chunkText(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

/** The last chunk of a chunked body. */
export const LAST_CHUNK = "0\r\n\r\n";

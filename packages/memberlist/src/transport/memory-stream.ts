/**
 * One end of an in-memory duplex byte stream. Bytes written on one end are copied into the other
 * end's queue; closing either end is like a TCP close: the peer reads what was already sent, then
 * `null`, and its writes fail from then on.
 */
import { NetworkError } from "../errors.ts";
import type { Address, Stream } from "./transport.ts";

export class MemoryStream implements Stream {
  private readonly chunks: Uint8Array[] = [];
  private readonly readers: Array<(chunk: Uint8Array | null) => void> = [];
  private peer: MemoryStream | undefined;
  /** The peer closed: no more bytes will arrive. */
  private peerClosed = false;
  private closed = false;

  private constructor(
    readonly remote: Address,
    private readonly onClose: (stream: MemoryStream) => void,
  ) {}

  /**
   * Creates a connected pair: `[dialer, acceptor]`. The dialer's remote is `acceptorAddr`, the
   * acceptor's remote is `dialerAddr`. `onClose` runs once per end when it closes.
   */
  static pair(
    dialerAddr: Address,
    acceptorAddr: Address,
    onClose: (stream: MemoryStream) => void = () => {},
  ): [MemoryStream, MemoryStream] {
    const dialer = new MemoryStream(acceptorAddr, onClose);
    const acceptor = new MemoryStream(dialerAddr, onClose);
    dialer.peer = acceptor;
    acceptor.peer = dialer;
    return [dialer, acceptor];
  }

  /** True once this end was closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  read(): Promise<Uint8Array | null> {
    if (this.closed) return Promise.resolve(null);
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.peerClosed) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  write(buf: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError(this.describe("cannot write: stream is closed")));
    if (this.peerClosed) return Promise.reject(new NetworkError(this.describe("connection reset by peer")));
    // A copy (Buffer#slice would be a view): the writer may reuse its buffer at once.
    if (buf.length > 0) this.peer?.deliver(new Uint8Array(buf));
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks.length = 0;
    for (const reader of this.readers.splice(0)) reader(null);
    this.peer?.onPeerClose();
    this.onClose(this);
  }

  private deliver(chunk: Uint8Array): void {
    if (this.closed) return;
    const reader = this.readers.shift();
    if (reader !== undefined) reader(chunk);
    else this.chunks.push(chunk);
  }

  private onPeerClose(): void {
    this.peerClosed = true;
    // Readers wait only on an empty queue, so they all see the end now.
    for (const reader of this.readers.splice(0)) reader(null);
  }

  private describe(what: string): string {
    return `memory stream to ${this.remote.host}:${this.remote.port}: ${what}`;
  }
}

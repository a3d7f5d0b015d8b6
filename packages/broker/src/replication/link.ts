/**
 * One replication link over a byte {@link Stream}: framing, the opening exchange, and encryption.
 *
 * Opening: each side first sends one cleartext frame `{"v":2,"n":nonce|null}`; with the cluster key
 * both nonces feed {@link LinkCipher}, and every later frame is sealed (a node without the key can
 * neither read nor inject). Then the dialling side says `hello` and the other `welcome`
 * (`messages.ts`). Until its owner calls {@link Link.trust}, a link accepts only small frames, so a
 * stranger cannot make us buffer much. Any protocol or authentication failure closes the stream.
 */
import { ReplicationError } from "../errors.ts";
import { LinkCipher } from "./cipher.ts";
import type { Runtime, Stream } from "./driver.ts";
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from "./frames.ts";
import { type LinkMessage, parseMessage } from "./messages.ts";

/** Largest frame an untrusted link may send: the opening and `hello` need a few hundred bytes. */
export const HANDSHAKE_FRAME_BYTES = 4096;
/** Unflushed bytes above which `send` asks the sender to wait for `onDrain`. */
const WRITE_HIGH_WATER = 1024 * 1024;
/** Version of the link protocol, in the opening frame. */
const LINK_VERSION = 2;

export class Link {
  private readonly reader = new FrameReader(HANDSHAKE_FRAME_BYTES);
  private cipher: LinkCipher | null = null;
  private opened = false;
  private closed = false;
  private unflushed = 0;
  private waitingDrain = false;
  /** While paused, messages wait here and the stream is not read (the peer's TCP window fills). */
  private backlog: LinkMessage[] | null = null;
  private resumeReading: (() => void) | null = null;
  private readonly myNonce: Buffer | null;
  /** Called once the opening exchange is done: messages may be sent from then on. */
  onOpen: () => void = () => {};
  /** Every message in order (after the opening). */
  onMessage: (msg: LinkMessage) => void = () => {};
  /** Called once when the link ends, with the error that ended it if any. */
  onClose: (err?: Error) => void = () => {};
  /** Called when `send` had returned false and the writes have since drained. */
  onDrain: () => void = () => {};

  constructor(
    readonly stream: Stream,
    runtime: Runtime,
    private readonly secret: Uint8Array | null,
    private readonly role: "client" | "server",
  ) {
    this.myNonce = secret === null ? null : Buffer.from(runtime.randomBytes(16));
    this.writeRaw(
      Buffer.from(
        JSON.stringify({
          v: LINK_VERSION,
          n: this.myNonce === null ? null : this.myNonce.toString("base64url"),
        }),
      ),
    );
    void this.readLoop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Lifts the small-frame limit once the peer proved who it is. */
  trust(): void {
    this.reader.maxFrameBytes = MAX_FRAME_BYTES;
  }

  /** Stops delivering messages (and reading) until {@link resume}. */
  pause(): void {
    this.backlog ??= [];
  }

  /** Delivers what waited, then reads on. */
  resume(): void {
    const backlog = this.backlog;
    if (backlog === null) return;
    this.backlog = null;
    try {
      for (const msg of backlog) {
        if (this.closed) return;
        this.onMessage(msg);
      }
    } catch (err) {
      this.close(err as Error);
      return;
    }
    const wake = this.resumeReading;
    this.resumeReading = null;
    wake?.();
  }

  /** Sends a message; returns false when the caller should wait for {@link onDrain}. */
  send(msg: LinkMessage): boolean {
    if (this.closed) return false;
    if (!this.opened) throw new ReplicationError("link is not open yet");
    const plain = Buffer.from(JSON.stringify(msg));
    this.writeRaw(this.cipher === null ? plain : this.cipher.seal(plain));
    if (this.unflushed < WRITE_HIGH_WATER) return true;
    this.waitingDrain = true;
    return false;
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog = null;
    this.stream.close();
    const wake = this.resumeReading;
    this.resumeReading = null;
    wake?.();
    this.onClose(err);
  }

  private writeRaw(payload: Buffer): void {
    const frame = encodeFrame(payload);
    this.unflushed += frame.length;
    this.stream.write(frame).then(
      () => {
        this.unflushed -= frame.length;
        if (!this.waitingDrain || this.closed || this.unflushed >= WRITE_HIGH_WATER / 2) return;
        this.waitingDrain = false;
        this.onDrain();
      },
      (err: Error) => this.close(err),
    );
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      if (this.backlog !== null) await new Promise<void>((r) => (this.resumeReading = r));
      if (this.closed) return;
      const chunk = await this.stream.read();
      if (this.closed) return;
      if (chunk === null) {
        this.close();
        return;
      }
      try {
        for (const frame of this.reader.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))) {
          if (!this.opened) {
            this.open(frame);
            continue;
          }
          const msg = parseMessage(this.cipher === null ? frame : this.cipher.open(frame));
          if (this.backlog !== null) this.backlog.push(msg);
          else this.onMessage(msg);
          if (this.closed) return;
        }
      } catch (err) {
        this.close(err as Error);
        return;
      }
    }
  }

  /** The peer's opening frame: its protocol version and nonce. */
  private open(frame: Buffer): void {
    let v: unknown;
    let n: unknown;
    try {
      ({ v, n } = JSON.parse(frame.toString("utf8")) as { v: unknown; n: unknown });
    } catch (cause) {
      throw new ReplicationError("opening frame is not JSON", { cause });
    }
    if (v !== LINK_VERSION)
      throw new ReplicationError(`peer speaks link version ${String(v)}, not ${LINK_VERSION}`);
    if (this.secret === null) {
      if (n !== null) throw new ReplicationError("peer uses a cluster key and this node has none");
    } else {
      const theirs = typeof n === "string" ? Buffer.from(n, "base64url") : Buffer.alloc(0);
      if (theirs.length !== 16) throw new ReplicationError("peer has no cluster key (no nonce)");
      const [clientNonce, serverNonce] =
        this.role === "client" ? [this.myNonce!, theirs] : [theirs, this.myNonce!];
      this.cipher = new LinkCipher(this.secret, clientNonce, serverNonce, this.role);
    }
    this.opened = true;
    this.onOpen();
  }
}

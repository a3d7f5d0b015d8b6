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
import type { Runtime, Stream, Timer } from "./driver.ts";
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from "./frames.ts";
import { type LinkMessage, parseMessage } from "./messages.ts";

/** Largest frame an untrusted link may send: the opening and `hello` need a few hundred bytes. */
export const HANDSHAKE_FRAME_BYTES = 4096;
/** Bytes kept from a paused link (a peer sends only `hello` and a window of events before its welcome). */
const PAUSED_BYTES = 4 * 1024 * 1024;
/** Unflushed bytes above which `send` asks the sender to wait for `onDrain`. */
const WRITE_HIGH_WATER = 1024 * 1024;
/** Silence after which a link is presumed stuck (five missed `have` rounds). */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;
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
  /** Raw chunks that arrived while paused. */
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private readonly myNonce: Buffer | null;
  /** Called once the opening exchange is done: messages may be sent from then on. */
  onOpen: () => void = () => {};
  /** Every message in order (after the opening). */
  onMessage: (msg: LinkMessage) => void = () => {};
  /** Called once when the link ends, with the error that ended it if any. */
  onClose: (err?: Error) => void = () => {};
  /** Called when `send` had returned false and the writes have since drained. */
  onDrain: () => void = () => {};

  /** When the last bytes arrived (runtime clock). */
  private lastHeard: number;
  private watchdog: Timer | null = null;

  /**
   * @param idleTimeoutMs the link is closed after this long without a byte from the peer: a
   *   partition can leave a TCP connection silently stuck, and only silence tells. Live links are
   *   never that quiet: the dialling side sends `have` every second and the other answers it.
   */
  constructor(
    readonly stream: Stream,
    private readonly runtime: Runtime,
    private readonly secret: Uint8Array | null,
    private readonly role: "client" | "server",
    private readonly idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
  ) {
    this.lastHeard = runtime.now();
    this.watch();
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

  /**
   * Stops delivering messages until {@link resume}. The stream is still read, so the end of the
   * peer is noticed at once, but what arrives is only kept (up to {@link PAUSED_BYTES}).
   */
  pause(): void {
    this.backlog ??= [];
  }

  /** Delivers what waited, then goes on. */
  resume(): void {
    const backlog = this.backlog;
    if (backlog === null) return;
    this.backlog = null;
    const held = this.held.splice(0);
    this.heldBytes = 0;
    try {
      for (const msg of backlog) {
        if (this.closed) return;
        this.onMessage(msg);
      }
      for (const chunk of held) if (!this.closed) this.process(chunk);
    } catch (err) {
      this.close(err as Error);
    }
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
    this.held.length = 0;
    this.watchdog?.cancel();
    this.stream.close();
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
      const chunk = await this.stream.read();
      if (this.closed) return;
      if (chunk === null) {
        this.close();
        return;
      }
      this.lastHeard = this.runtime.now();
      if (this.backlog !== null) {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        if (this.heldBytes > PAUSED_BYTES)
          this.close(new ReplicationError("peer sent too much before being confirmed"));
        continue;
      }
      try {
        this.process(chunk);
      } catch (err) {
        this.close(err as Error);
        return;
      }
    }
  }

  /** Checks for silence twice per idle timeout. */
  private watch(): void {
    this.watchdog = this.runtime.setTimer(this.idleTimeoutMs / 2, () => {
      if (this.closed) return;
      const silent = this.runtime.now() - this.lastHeard;
      if (silent >= this.idleTimeoutMs)
        this.close(new ReplicationError(`peer silent for ${Math.round(silent)} ms: link presumed stuck`));
      else this.watch();
    });
  }

  /** Parses a chunk's frames and delivers (or, once paused, keeps) their messages. */
  private process(chunk: Uint8Array): void {
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

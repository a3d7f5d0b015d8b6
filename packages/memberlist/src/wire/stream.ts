/**
 * Stream (TCP) messages (memberlist-wire.md §5.2, §6): push/pull state, the stream user message, the
 * encrypted envelope `[10][u32 L][vsn nonce ciphertext tag]`, and framing of messages that carry no
 * length prefix of their own.
 */
import { randomFillSync } from "node:crypto";
import { DecodeError, EncodeError, SecurityError } from "../errors.ts";
import { allocBytes, ByteWriter, copyBytes } from "./bytes.ts";
import { compressMessage, decompressMessage } from "./compress.ts";
import { labelBytes } from "./label.ts";
import { maxPushStateBytes, maxPushStateNodes } from "./limits.ts";
import { MessageType, type PushNodeState, type PushPull } from "./messages.ts";
import { MsgpackReader, msgpackValueEnd, readU32 } from "./msgpack.ts";
import { decodePushNodeState, encodePushNodeState, pushNodeStateSize } from "./push-node-state.ts";
import { decodeStruct, encodeStruct } from "./schema.ts";
import {
  decryptPayload,
  type EncryptionVersion,
  encryptedLength,
  encryptPayload,
  nonceSize,
} from "./security.ts";
import { pushPullHeaderSchema, userMsgHeaderSchema } from "./structs.ts";

/** Encodes a push/pull message: `[6][header][N × pushNodeState][user state]`. */
export function encodePushPull(pp: PushPull): Uint8Array {
  const user = pp.userState ?? new Uint8Array(0);
  if (pp.nodes.length > maxPushStateNodes) throw new EncodeError("too many node states for one push/pull");
  if (user.length > maxPushStateBytes) throw new EncodeError("user state exceeds 20 MiB");
  let size = 1 + 48 + user.length;
  for (const n of pp.nodes) size += pushNodeStateSize(n);
  const w = new ByteWriter(size);
  w.u8(MessageType.PushPull);
  encodeStruct(w, pushPullHeaderSchema, { nodes: pp.nodes.length, userStateLen: user.length, join: pp.join });
  for (const n of pp.nodes) encodePushNodeState(w, n);
  w.bytes(user);
  return w.finish();
}

function checkCount(what: string, v: number, max: number): void {
  if (v < 0 || v > max) throw new DecodeError(`${what} ${v} out of range 0..${max}`);
}

/**
 * Decodes a push/pull body (after the `[6]`). Node and user-state counts are range-checked before use,
 * and node states are decoded one by one, so a bogus count cannot allocate. `userState` is null when its
 * length is 0 (Go passes nil then). Each Vsn is kept exactly as received.
 */
export function decodePushPull(body: Uint8Array): PushPull {
  const r = new MsgpackReader(body);
  const header = decodeStruct(r, pushPullHeaderSchema);
  checkCount("push/pull node count", header.nodes, maxPushStateNodes);
  checkCount("push/pull user state length", header.userStateLen, maxPushStateBytes);
  const nodes: PushNodeState[] = [];
  for (let i = 0; i < header.nodes; i++) {
    if (r.remaining <= 0) throw new DecodeError("push/pull truncated in node states");
    nodes.push(decodePushNodeState(r));
  }
  let userState: Uint8Array | null = null;
  if (header.userStateLen > 0) {
    if (r.remaining < header.userStateLen) throw new DecodeError("push/pull truncated in user state");
    userState = copyBytes(body, r.pos, r.pos + header.userStateLen);
  }
  return { join: header.join, nodes, userState };
}

/** Encodes a stream user message: `[8][userMsgHeader{UserMsgLen}][payload]`. */
export function encodeUserStreamMessage(payload: Uint8Array): Uint8Array {
  if (payload.length > maxPushStateBytes) throw new EncodeError("user message exceeds 20 MiB");
  const w = new ByteWriter(24 + payload.length);
  w.u8(MessageType.User);
  encodeStruct(w, userMsgHeaderSchema, { userMsgLen: payload.length });
  w.bytes(payload);
  return w.finish();
}

/** Decodes a stream user message body (after the `[8]`) to its payload (a copy). */
export function decodeUserStreamMessage(body: Uint8Array): Uint8Array {
  const r = new MsgpackReader(body);
  const { userMsgLen } = decodeStruct(r, userMsgHeaderSchema);
  checkCount("user message length", userMsgLen, maxPushStateBytes);
  if (r.remaining < userMsgLen) throw new DecodeError("user message truncated");
  return copyBytes(body, r.pos, r.pos + userMsgLen);
}

/** How to wrap an outgoing stream message. */
export interface StreamEncodeOptions {
  /** Compress (always, when enabled: streams do not compare sizes). */
  compress: boolean;
  /** The primary key, or null for no encryption. */
  key: Uint8Array | null;
  encryptionVersion: EncryptionVersion;
  /** The connection's label: the dialler's configured label, also on replies. Part of the AD. */
  label: string;
  /** A 12-byte nonce; drawn from node:crypto when absent. */
  nonce?: Uint8Array;
}

const encryptHeaderSize = 5;

/** Wraps a stream message `[type][...]`: compress if enabled, then encrypt into `[10][u32 L][...]`. */
export function encodeStreamMessage(msg: Uint8Array, opts: StreamEncodeOptions): Uint8Array {
  let buf = opts.compress ? compressMessage(msg) : msg;
  if (opts.key) {
    const len = encryptedLength(opts.encryptionVersion, buf.length);
    if (len > maxPushStateBytes) throw new EncodeError("encrypted stream message exceeds 20 MiB");
    const label = labelBytes(opts.label);
    const ad = new Uint8Array(encryptHeaderSize + label.length);
    ad[0] = MessageType.Encrypt;
    ad[1] = len >>> 24;
    ad[2] = len >>> 16;
    ad[3] = len >>> 8;
    ad[4] = len;
    ad.set(label, encryptHeaderSize);
    const nonce = opts.nonce ?? randomFillSync(new Uint8Array(nonceSize));
    const sealed = encryptPayload(opts.encryptionVersion, opts.key, buf, ad, nonce);
    buf = allocBytes(encryptHeaderSize + sealed.length);
    buf.set(ad.subarray(0, encryptHeaderSize));
    buf.set(sealed, encryptHeaderSize);
  }
  return buf;
}

/** The smallest valid encrypted payload (version 1, empty plaintext). */
const minEncryptedLength = encryptedLength(1, 0);

/** End of one msgpack struct header value at `pos`, or -1 if incomplete. */
function valueEnd(buf: Uint8Array, pos: number): number {
  return msgpackValueEnd(buf, pos, buf.length);
}

/**
 * Length of the first complete stream message at the start of `buf`, or undefined if more bytes are
 * needed. Understands the encrypted envelope, compressed messages, push/pull (header, N states and user
 * bytes), stream user messages, ping, ack and err. DecodeError when the bytes can never form a valid
 * message (unknown type, L > 20 MiB, counts out of range). Never allocates in proportion to a claimed size.
 */
export function streamFrameLength(buf: Uint8Array): number | undefined {
  if (buf.length === 0) return undefined;
  const type = buf[0]!;
  switch (type) {
    case MessageType.Encrypt: {
      if (buf.length < encryptHeaderSize) return undefined;
      const len = readU32(buf, 1);
      if (len > maxPushStateBytes)
        throw new DecodeError(`encrypted stream message of ${len} bytes is too large`);
      if (len < minEncryptedLength)
        throw new DecodeError(`encrypted stream message of ${len} bytes is too small`);
      return buf.length >= encryptHeaderSize + len ? encryptHeaderSize + len : undefined;
    }
    case MessageType.Compress:
    case MessageType.Ping:
    case MessageType.AckResp:
    case MessageType.Err: {
      const end = valueEnd(buf, 1);
      return end < 0 ? undefined : end;
    }
    case MessageType.PushPull: {
      let end = valueEnd(buf, 1);
      if (end < 0) return undefined;
      const header = decodeStruct(new MsgpackReader(buf, 1, end), pushPullHeaderSchema);
      checkCount("push/pull node count", header.nodes, maxPushStateNodes);
      checkCount("push/pull user state length", header.userStateLen, maxPushStateBytes);
      for (let i = 0; i < header.nodes; i++) {
        end = valueEnd(buf, end);
        if (end < 0) return undefined;
      }
      end += header.userStateLen;
      return buf.length >= end ? end : undefined;
    }
    case MessageType.User: {
      const end = valueEnd(buf, 1);
      if (end < 0) return undefined;
      const { userMsgLen } = decodeStruct(new MsgpackReader(buf, 1, end), userMsgHeaderSchema);
      checkCount("user message length", userMsgLen, maxPushStateBytes);
      return buf.length >= end + userMsgLen ? end + userMsgLen : undefined;
    }
    default:
      throw new DecodeError(`message type ${type} is not valid on a stream`);
  }
}

/** How to unwrap a received stream message. */
export interface StreamDecodeOptions {
  /** Installed keys, primary first; empty means encryption is off. */
  keys: readonly Uint8Array[];
  /** The connection's label (received header, or configured one): part of the AD. */
  label: string;
  /** Refuse plaintext when keys are installed. */
  verifyIncoming: boolean;
  /** Most bytes a compressed message may expand to (default 40 MiB, Go's bound); past it a LimitError. */
  maxDecompressedBytes?: number;
}

/**
 * Unwraps exactly one framed stream message (see {@link streamFrameLength}) to its plaintext `[type][body]`:
 * decrypts `[10]` envelopes, then decompresses `[9]`. SecurityError per §5.2 when encryption is expected and
 * missing, present and not configured, or does not verify; DecodeError for malformed data.
 */
export function decodeStreamMessage(frame: Uint8Array, opts: StreamDecodeOptions): Uint8Array {
  if (frame.length === 0) throw new DecodeError("empty stream message");
  let plain = frame;
  if (frame[0] === MessageType.Encrypt) {
    if (opts.keys.length === 0) {
      throw new SecurityError("remote state is encrypted and encryption is not configured");
    }
    if (frame.length < encryptHeaderSize) throw new DecodeError("truncated encrypted stream header");
    const len = readU32(frame, 1);
    if (len > maxPushStateBytes)
      throw new DecodeError(`encrypted stream message of ${len} bytes is too large`);
    if (frame.length < encryptHeaderSize + len) throw new DecodeError("truncated encrypted stream message");
    const label = labelBytes(opts.label);
    const ad = new Uint8Array(encryptHeaderSize + label.length);
    ad.set(frame.subarray(0, encryptHeaderSize));
    ad.set(label, encryptHeaderSize);
    plain = decryptPayload(opts.keys, frame.subarray(encryptHeaderSize, encryptHeaderSize + len), ad);
    if (plain.length === 0) throw new DecodeError("empty stream message");
  } else if (opts.keys.length > 0 && opts.verifyIncoming) {
    throw new SecurityError("encryption is configured but remote state is not encrypted");
  }
  if (plain[0] === MessageType.Compress)
    plain = decompressMessage(plain.subarray(1), opts.maxDecompressedBytes);
  return plain;
}

/**
 * AES-GCM payload encryption (memberlist-wire.md §5.1): `[vsn][nonce 12][ciphertext][tag 16]`.
 * Version 1 seals the plaintext as is; version 0 (local protocol version 1) PKCS#7-pads it to 16 first.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { ConfigError, SecurityError } from "../errors.ts";
import { allocBytes } from "./bytes.ts";

/** AES-GCM nonce bytes. */
export const nonceSize = 12;
/** AES-GCM tag bytes. */
export const tagSize = 16;
const blockSize = 16;
const versionSize = 1;

/** Encryption versions: 0 = PKCS#7-padded (legacy), 1 = unpadded. */
export type EncryptionVersion = 0 | 1;

/** Total encrypted size of `plainLen` plaintext bytes. */
export function encryptedLength(vsn: EncryptionVersion, plainLen: number): number {
  const base = versionSize + nonceSize + plainLen + tagSize;
  return vsn === 0 ? base + (blockSize - (plainLen % blockSize)) : base;
}

/** Worst-case bytes encryption adds to a packet: 29 for version 1, 45 for version 0 (§4.1 budgets). */
export function encryptionOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? versionSize + nonceSize + tagSize + blockSize : versionSize + nonceSize + tagSize;
}

type GcmCipher = "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm";

/** The AES-GCM variant for a key, or null for an invalid key size. */
function gcmFor(key: Uint8Array): GcmCipher | null {
  return key.length === 16
    ? "aes-128-gcm"
    : key.length === 24
      ? "aes-192-gcm"
      : key.length === 32
        ? "aes-256-gcm"
        : null;
}

/** Encrypts with the given 12-byte nonce (callers draw it from the runtime's randomness). */
export function encryptPayload(
  vsn: EncryptionVersion,
  key: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  if (nonce.length !== nonceSize) throw new ConfigError(`nonce must be ${nonceSize} bytes`);
  if (vsn !== 0 && vsn !== 1) throw new ConfigError(`unknown encryption version ${String(vsn)}`);
  const out = allocBytes(encryptedLength(vsn, plaintext.length));
  out[0] = vsn;
  out.set(nonce, versionSize);
  const name = gcmFor(key);
  if (name === null) throw new ConfigError(`encryption key must be 16, 24 or 32 bytes, not ${key.length}`);
  const cipher = createCipheriv(name, key, nonce);
  // Empty additional data authenticates the same as none, and skipping the call is measurably cheaper.
  if (ad.length > 0) cipher.setAAD(ad);
  let off = versionSize + nonceSize;
  let ct = cipher.update(plaintext);
  out.set(ct, off);
  off += ct.length;
  if (vsn === 0) {
    const pad = blockSize - (plaintext.length % blockSize);
    ct = cipher.update(new Uint8Array(pad).fill(pad));
    out.set(ct, off);
    off += ct.length;
  }
  ct = cipher.final();
  out.set(ct, off);
  off += ct.length;
  out.set(cipher.getAuthTag(), off);
  return out;
}

function tryOpen(key: Uint8Array, buf: Uint8Array, ad: Uint8Array): Uint8Array | null {
  const name = gcmFor(key);
  if (name === null) return null;
  const nonce = buf.subarray(versionSize, versionSize + nonceSize);
  const decipher = createDecipheriv(name, key, nonce);
  decipher.setAuthTag(buf.subarray(buf.length - tagSize));
  if (ad.length > 0) decipher.setAAD(ad);
  const first = decipher.update(buf.subarray(versionSize + nonceSize, buf.length - tagSize));
  try {
    const rest = decipher.final();
    // Plain Uint8Array views, not Buffers, so callers see one byte type everywhere.
    if (rest.length === 0) return new Uint8Array(first.buffer, first.byteOffset, first.length);
    const out = new Uint8Array(first.length + rest.length);
    out.set(first);
    out.set(rest, first.length);
    return out;
  } catch {
    return null;
  }
}

/**
 * Decrypts with the first key (in order) whose tag verifies. SecurityError for an empty or short buffer,
 * an unknown version, no verifying key, or (version 0) invalid padding — which Go would not check.
 */
export function decryptPayload(keys: readonly Uint8Array[], buf: Uint8Array, ad: Uint8Array): Uint8Array {
  if (buf.length === 0) throw new SecurityError("cannot decrypt empty payload");
  const vsn = buf[0]!;
  if (vsn > 1) throw new SecurityError(`unsupported encryption version ${vsn}`);
  if (buf.length < encryptedLength(vsn as EncryptionVersion, 0)) {
    throw new SecurityError("payload is too small to decrypt");
  }
  for (const key of keys) {
    const plain = tryOpen(key, buf, ad);
    if (plain === null) continue;
    if (vsn === 1) return plain;
    const pad = plain.length > 0 ? plain[plain.length - 1]! : 0;
    if (pad < 1 || pad > blockSize || pad > plain.length) throw new SecurityError("invalid PKCS#7 padding");
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new SecurityError("invalid PKCS#7 padding");
    }
    return plain.subarray(0, plain.length - pad);
  }
  throw new SecurityError("no installed keys could decrypt the message");
}

/**
 * Authenticated encryption of a replication link with the cluster's shared key. Each side
 * contributes a random nonce in the HTTP upgrade; both derive one AES-256-GCM key per direction
 * with HKDF over the shared key and both nonces, so a recorded session cannot be replayed and a
 * node without the key can neither read nor inject frames. Frame nonces are counters.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import { ReplicationError } from "../errors.ts";

const TAG_BYTES = 16;

export class LinkCipher {
  private readonly sendKey: Buffer;
  private readonly receiveKey: Buffer;
  private sendCounter = 0n;
  private receiveCounter = 0n;

  constructor(secret: Uint8Array, clientNonce: Buffer, serverNonce: Buffer, role: "client" | "server") {
    const salt = Buffer.concat([clientNonce, serverNonce]);
    const c2s = Buffer.from(hkdfSync("sha256", secret, salt, "shoal-replication c2s", 32));
    const s2c = Buffer.from(hkdfSync("sha256", secret, salt, "shoal-replication s2c", 32));
    this.sendKey = role === "client" ? c2s : s2c;
    this.receiveKey = role === "client" ? s2c : c2s;
  }

  seal(plain: Buffer): Buffer {
    const cipher = createCipheriv("aes-256-gcm", this.sendKey, nonce(this.sendCounter++));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([body, cipher.getAuthTag()]);
  }

  /** Decrypts and authenticates the next frame; throws {@link ReplicationError} on any failure. */
  open(sealed: Buffer): Buffer {
    if (sealed.length < TAG_BYTES) throw new ReplicationError("sealed frame too short");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.receiveKey, nonce(this.receiveCounter++));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (cause) {
      throw new ReplicationError("frame failed authentication (wrong or missing key?)", { cause });
    }
  }
}

function nonce(counter: bigint): Buffer {
  const out = Buffer.alloc(12);
  out.writeBigUInt64BE(counter, 4);
  return out;
}

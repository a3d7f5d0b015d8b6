/**
 * The keyring (memberlist-wire.md §5.3): an ordered list of AES keys whose first entry is the primary,
 * used to encrypt and tried first to decrypt. No keys means encryption is off.
 */
import { ConfigError } from "../errors.ts";
import { bytesEqual } from "./bytes.ts";

/** Holds the installed encryption keys; copies keys in and out so callers cannot mutate them. */
export class Keyring {
  #keys: Uint8Array[] = [];

  /**
   * An empty keyring when given nothing; otherwise `primaryKey` is required and goes first, followed by
   * the other `keys` (as Go's NewKeyring).
   */
  constructor(keys: readonly Uint8Array[] = [], primaryKey?: Uint8Array) {
    if (keys.length === 0 && primaryKey === undefined) return;
    if (primaryKey === undefined) throw new ConfigError("a primary key is required when keys are given");
    this.addKey(primaryKey);
    for (const k of keys) this.addKey(k);
  }

  /** ConfigError unless the key is 16, 24 or 32 bytes (AES-128/192/256). */
  static validateKey(key: Uint8Array): void {
    const n = key.length;
    if (n !== 16 && n !== 24 && n !== 32) {
      throw new ConfigError(`key size must be 16, 24 or 32 bytes, not ${n}`);
    }
  }

  /** Installs a key (no-op if present); it becomes primary only if the ring was empty. */
  addKey(key: Uint8Array): void {
    Keyring.validateKey(key);
    if (this.#indexOf(key) >= 0) return;
    this.#keys = [...this.#keys, Uint8Array.from(key)];
  }

  /** Makes an installed key the primary; ConfigError if it is not installed. */
  useKey(key: Uint8Array): void {
    const i = this.#indexOf(key);
    if (i < 0) throw new ConfigError("requested key is not in the keyring");
    const k = this.#keys[i]!;
    this.#keys = [k, ...this.#keys.filter((_, j) => j !== i)];
  }

  /** Removes a key; ConfigError for the primary; absent keys are ignored. */
  removeKey(key: Uint8Array): void {
    const i = this.#indexOf(key);
    if (i === 0) throw new ConfigError("removing the primary key is not allowed");
    if (i > 0) this.#keys = this.#keys.filter((_, j) => j !== i);
  }

  /** All keys, primary first (copies). */
  getKeys(): Uint8Array[] {
    return this.#keys.map((k) => Uint8Array.from(k));
  }

  /**
   * The installed keys without copying, for the per-packet hot path. The array is replaced, never
   * mutated in place, by later key changes; callers must not modify it or its keys.
   */
  keysView(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** The primary key (a copy), or null when the ring is empty. */
  getPrimaryKey(): Uint8Array | null {
    const k = this.#keys[0];
    return k ? Uint8Array.from(k) : null;
  }

  /** How many keys are installed. */
  get size(): number {
    return this.#keys.length;
  }

  #indexOf(key: Uint8Array): number {
    return this.#keys.findIndex((k) => bytesEqual(k, key));
  }
}

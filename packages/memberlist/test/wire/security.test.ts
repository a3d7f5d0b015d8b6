/** AES-GCM payloads and the keyring (memberlist-wire.md §5.1, §5.3). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, SecurityError } from "../../src/errors.ts";
import {
  decryptPayload,
  encryptedLength,
  encryptionOverhead,
  encryptPayload,
  Keyring,
} from "../../src/wire/index.ts";
import { ascii } from "./helpers.ts";

const nonce = new Uint8Array(12).fill(7);
const k16 = new Uint8Array(16).fill(1);
const k24 = new Uint8Array(24).fill(2);
const k32 = new Uint8Array(32).fill(3);

describe("encryption", () => {
  it("has Go's lengths and overheads", () => {
    assert.equal(encryptedLength(1, 0), 29);
    assert.equal(encryptedLength(1, 10), 39);
    assert.equal(encryptedLength(0, 0), 45);
    assert.equal(encryptedLength(0, 15), 45);
    assert.equal(encryptedLength(0, 16), 61);
    assert.equal(encryptionOverhead(1), 29);
    assert.equal(encryptionOverhead(0), 45);
  });

  it("round-trips with every key size and both versions, and binds the AD", () => {
    for (const key of [k16, k24, k32]) {
      for (const vsn of [0, 1] as const) {
        for (const len of [0, 1, 15, 16, 17, 100]) {
          const pt = new Uint8Array(len).fill(len);
          const ct = encryptPayload(vsn, key, pt, ascii("ad"), nonce);
          assert.equal(ct.length, encryptedLength(vsn, len));
          assert.deepEqual(decryptPayload([key], ct, ascii("ad")), pt);
          assert.throws(() => decryptPayload([key], ct, ascii("AD")), SecurityError);
        }
      }
    }
  });

  it("tries keys in order and fails when none verifies", () => {
    const ct = encryptPayload(1, k32, ascii("x"), new Uint8Array(0), nonce);
    assert.deepEqual(decryptPayload([k16, k24, k32], ct, new Uint8Array(0)), ascii("x"));
    assert.throws(() => decryptPayload([k16, k24], ct, new Uint8Array(0)), /no installed keys/);
    assert.throws(() => decryptPayload([], ct, new Uint8Array(0)), SecurityError);
    const tampered = ct.slice();
    tampered[14]! ^= 1;
    assert.throws(() => decryptPayload([k32], tampered, new Uint8Array(0)), SecurityError);
  });

  it("rejects empty, short, and unknown-version buffers", () => {
    assert.throws(() => decryptPayload([k16], new Uint8Array(0), new Uint8Array(0)), SecurityError);
    assert.throws(() => decryptPayload([k16], new Uint8Array(28).fill(1), new Uint8Array(0)), /too small/);
    assert.throws(() => decryptPayload([k16], new Uint8Array(44), new Uint8Array(0)), /too small/);
    assert.throws(() => decryptPayload([k16], new Uint8Array(60).fill(2), new Uint8Array(0)), /version/);
  });

  it("validates version-0 padding instead of slicing out of range", () => {
    // A v1 ciphertext relabelled as v0 authenticates (the version byte is not in the AD) but its last
    // plaintext byte is not valid PKCS#7.
    const ct = encryptPayload(1, k16, new Uint8Array(32).fill(0x55), new Uint8Array(0), nonce);
    ct[0] = 0;
    assert.throws(() => decryptPayload([k16], ct, new Uint8Array(0)), /padding/);
    const ct2 = encryptPayload(1, k16, Uint8Array.of(...new Uint8Array(31), 2), new Uint8Array(0), nonce);
    ct2[0] = 0;
    assert.throws(() => decryptPayload([k16], ct2, new Uint8Array(0)), /padding/);
  });

  it("refuses bad keys and nonces", () => {
    assert.throws(
      () => encryptPayload(1, new Uint8Array(15), ascii("x"), new Uint8Array(0), nonce),
      ConfigError,
    );
    assert.throws(
      () => encryptPayload(1, k16, ascii("x"), new Uint8Array(0), new Uint8Array(8)),
      ConfigError,
    );
  });
});

describe("Keyring", () => {
  it("is empty without keys and needs a primary with keys", () => {
    const empty = new Keyring();
    assert.equal(empty.size, 0);
    assert.equal(empty.getPrimaryKey(), null);
    assert.throws(() => new Keyring([k16]), ConfigError);
  });

  it("puts the primary first, then the others, without duplicates", () => {
    const ring = new Keyring([k16, k24, k32], k32);
    assert.deepEqual(ring.getKeys(), [k32, k16, k24]);
    assert.deepEqual(ring.getPrimaryKey(), k32);
  });

  it("validates key sizes", () => {
    for (const n of [0, 8, 15, 17, 31, 33])
      assert.throws(() => Keyring.validateKey(new Uint8Array(n)), ConfigError);
    for (const k of [k16, k24, k32]) Keyring.validateKey(k);
    assert.throws(() => new Keyring().addKey(new Uint8Array(10)), ConfigError);
  });

  it("addKey keeps the primary, useKey switches, removeKey refuses the primary", () => {
    const ring = new Keyring();
    ring.addKey(k16);
    ring.addKey(k24);
    ring.addKey(k16);
    assert.equal(ring.size, 2);
    assert.deepEqual(ring.getPrimaryKey(), k16);
    ring.useKey(k24);
    assert.deepEqual(ring.getKeys(), [k24, k16]);
    assert.throws(() => ring.useKey(k32), ConfigError);
    assert.throws(() => ring.removeKey(k24), ConfigError);
    ring.removeKey(k32);
    ring.removeKey(k16);
    assert.deepEqual(ring.getKeys(), [k24]);
  });

  it("does not share key bytes with callers", () => {
    const key = new Uint8Array(16).fill(9);
    const ring = new Keyring([], key);
    key.fill(0);
    ring.getKeys()[0]!.fill(1);
    assert.deepEqual(ring.getPrimaryKey(), new Uint8Array(16).fill(9));
    const view = ring.keysView();
    ring.addKey(k32);
    assert.equal(view.length, 1, "a view is a snapshot");
  });
});

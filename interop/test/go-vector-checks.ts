/**
 * Go → Shoal: checks one vector produced by Go memberlist 0.2.2 against Shoal's wire layer. Every vector
 * must decode to its inputs, and Shoal must re-encode the inputs to Go's exact bytes (for encrypted ones,
 * with the nonce Go drew, read back from Go's output).
 */
import assert from "node:assert/strict";
import { ShoalError } from "@shoal/memberlist";
import {
  compressMessage,
  decodeCompound,
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  decodeUserStreamMessage,
  decompressMessage,
  decryptPayload,
  type EncryptionVersion,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  encryptPayload,
  flattenMessage,
  Keyring,
  lzwCompress,
  lzwDecompress,
  nonceSize,
  streamFrameLength,
} from "@shoal/memberlist/wire";
import {
  fromHex,
  messageFromJson,
  messageToJson,
  normalize,
  pushPullFromJson,
  pushPullToJson,
  toHex,
} from "../lib/fields.ts";
import type { GoVector, JsonFields } from "../lib/vector-types.ts";

/** Shoal's bytes must be Go's, or Go's other encoding of the same input (nil ↔ empty bytes). */
export function assertSameBytes(actual: Uint8Array, v: GoVector): void {
  const got = toHex(actual);
  if (v.altHex !== undefined && got === v.altHex) return;
  assert.equal(got, v.hex, `${v.name}: Shoal's bytes differ from Go's`);
}

function keysOf(list: string[] | undefined): Uint8Array[] {
  return (list ?? []).map(fromHex);
}

function encryptionVersion(v: GoVector): EncryptionVersion {
  return v.encryptionVersion ?? 1;
}

/** The 12-byte nonce inside `[vsn][nonce]...` starting at `offset`. */
function nonceAt(buf: Uint8Array, offset: number): Uint8Array {
  return buf.subarray(offset + 1, offset + 1 + nonceSize);
}

function leafHexes(msg: Uint8Array): string[] {
  return flattenMessage(msg).map(toHex);
}

type Check = (v: GoVector, bytes: Uint8Array) => void;

const checks: Record<GoVector["kind"], Check> = {
  message(v, bytes) {
    const decoded = messageToJson(decodeMessage(bytes));
    assert.equal(decoded.type, v.type);
    assert.deepEqual(normalize(decoded.fields), normalize(v.fields));
    assertSameBytes(encodeMessage(messageFromJson(v.type!, v.fields!)), v);
  },
  "push-pull"(v, bytes) {
    assert.equal(bytes[0], 6);
    assert.deepEqual(normalize(pushPullToJson(decodePushPull(bytes.subarray(1)))), normalize(v.fields));
    assert.equal(streamFrameLength(bytes), bytes.length);
    assertSameBytes(encodePushPull(pushPullFromJson(v.fields!)), v);
  },
  "user-stream"(v, bytes) {
    assert.equal(bytes[0], 8);
    const payload = (v.fields as JsonFields).payload as string;
    assert.equal(toHex(decodeUserStreamMessage(bytes.subarray(1))), payload);
    assert.equal(streamFrameLength(bytes), bytes.length);
    assertSameBytes(encodeUserStreamMessage(fromHex(payload)), v);
  },
  compound(v, bytes) {
    const { parts, truncated } = decodeCompound(bytes.subarray(1));
    assert.deepEqual({ parts: parts.map(toHex), truncated }, v.decoded);
    assertSameBytes(encodeCompound(v.parts!.map(fromHex)), v);
  },
  "compound-decode"(v, bytes) {
    const expected = v.decoded as JsonFields;
    if ("error" in expected) {
      assert.throws(() => decodeCompound(bytes.subarray(1)), ShoalError, `Go failed with: ${expected.error}`);
      return;
    }
    const { parts, truncated } = decodeCompound(bytes.subarray(1));
    assert.deepEqual({ parts: parts.map(toHex), truncated }, expected);
  },
  lzw(v, bytes) {
    assert.equal(toHex(lzwDecompress(bytes)), v.data);
    assertSameBytes(lzwCompress(fromHex(v.data!)), v);
  },
  compress(v, bytes) {
    assert.equal(bytes[0], 9);
    assert.equal(toHex(decompressMessage(bytes.subarray(1))), v.inner);
    assertSameBytes(compressMessage(fromHex(v.inner!)), v);
  },
  crc() {
    throw new Error("Go writes CRC vectors as kind packet");
  },
  encrypt(v, bytes) {
    const keys = keysOf(v.keys);
    const ad = fromHex(v.ad!);
    assert.equal(toHex(decryptPayload(keys, bytes, ad)), v.plaintext);
    assert.equal(bytes[0], v.encryptionVersion);
    const again = encryptPayload(
      encryptionVersion(v),
      keys[0]!,
      fromHex(v.plaintext!),
      ad,
      nonceAt(bytes, 0),
    );
    assertSameBytes(again, v);
  },
  packet(v, bytes) {
    const senderKeys = keysOf(v.keys);
    const receiverKeys = v.receiverKeys ? keysOf(v.receiverKeys) : senderKeys;
    const plain = decodePacket(bytes, { label: "", keys: receiverKeys, verifyIncoming: true });
    const inner = fromHex(v.inner!);
    assert.deepEqual(leafHexes(plain), leafHexes(inner));
    const again = encodePacket(inner, {
      compress: v.compress ?? false,
      crc: v.crc ?? false,
      key: senderKeys[0] ?? null,
      encryptionVersion: encryptionVersion(v),
      label: "",
      ...(senderKeys.length > 0 ? { nonce: nonceAt(bytes, 0) } : {}),
    });
    assertSameBytes(again, v);
  },
  stream(v, bytes) {
    const keys = keysOf(v.keys);
    assert.equal(streamFrameLength(bytes), bytes.length);
    const plain = decodeStreamMessage(bytes, { keys, label: "", verifyIncoming: true });
    assert.equal(toHex(plain), v.inner);
    const again = encodeStreamMessage(fromHex(v.inner!), {
      compress: v.compress ?? false,
      key: keys[0] ?? null,
      encryptionVersion: encryptionVersion(v),
      label: "",
      // The encrypted envelope is [10][u32 length][vsn][nonce]...
      ...(keys.length > 0 ? { nonce: nonceAt(bytes, 5) } : {}),
    });
    assertSameBytes(again, v);
  },
  decode(v, bytes) {
    const decoded = v.decoded as JsonFields;
    const run = (): unknown =>
      v.type === "push-pull"
        ? { ...pushPullToJson(decodePushPull(bytes.subarray(1))), leftover: 0 }
        : messageToJson(decodeMessage(bytes));
    if (v.mustReject) {
      assert.throws(run, ShoalError, `Go refused it: ${String(decoded.error)}`);
      return;
    }
    assert.deepEqual(normalize(run()), normalize(decoded));
  },
  keyring(v) {
    const steps = v.decoded as Array<{
      op: string;
      key?: string;
      keys?: string[];
      primary?: string;
      error?: string;
      result: string[];
    }>;
    const state: { ring: Keyring | null } = { ring: null };
    for (const step of steps) {
      const key = step.key === undefined ? new Uint8Array(0) : fromHex(step.key);
      const apply = (): void => {
        if (step.op === "new") state.ring = new Keyring(keysOf(step.keys), fromHex(step.primary!));
        else if (step.op === "add") state.ring!.addKey(key);
        else if (step.op === "use") state.ring!.useKey(key);
        else if (step.op === "remove") state.ring!.removeKey(key);
        else throw new Error(`unknown keyring op ${step.op}`);
      };
      if (step.error !== undefined) assert.throws(apply, ShoalError, `${step.op}: Go said "${step.error}"`);
      else apply();
      assert.deepEqual(state.ring!.getKeys().map(toHex), step.result, `keys after ${step.op}`);
    }
  },
};

/** Checks one Go vector in both directions of Shoal's wire layer. */
export function checkGoVector(v: GoVector): void {
  checks[v.kind](v, fromHex(v.hex));
}

/**
 * Shoal → Go: Shoal's encodings of the vectors' inputs (or of random inputs), as `shoal-interop check`
 * requests, each with the fields Go must decode them to.
 */
import { randomBytes } from "node:crypto";
import {
  compressMessage,
  decodeMessage,
  decodePushPull,
  decodeUserStreamMessage,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  encryptPayload,
  flattenMessage,
  lzwCompress,
  MessageType,
  nonceSize,
} from "@shoal/memberlist/wire";
import {
  fromHex,
  messageFromJson,
  messageToJson,
  pushPullFromJson,
  pushPullToJson,
  toHex,
} from "../lib/fields.ts";
import type { CheckRequest, GoVector, JsonFields } from "../lib/vector-types.ts";

/** A request for Go and what Go must answer. */
export interface ShoalCheck {
  req: CheckRequest;
  expect: JsonFields;
}

/** What Go's stream reader must make of a plaintext stream message `[type][...]`. */
export function expectedStreamFields(inner: Uint8Array): JsonFields {
  const type = inner[0];
  if (type === MessageType.PushPull) {
    return { type: "push-pull", fields: pushPullToJson(decodePushPull(inner.subarray(1))), leftover: 0 };
  }
  if (type === MessageType.User) {
    return {
      type: "user",
      fields: { payload: toHex(decodeUserStreamMessage(inner.subarray(1))) },
      leftover: 0,
    };
  }
  return { ...messageToJson(decodeMessage(inner)), leftover: 0 };
}

/** What Go's packet path must find in a packet carrying `inner` (a message, compound or compressed). */
export function expectedPacketFields(inner: Uint8Array, crc: boolean, encrypted: boolean): JsonFields {
  return {
    decrypted: encrypted,
    hadCrc: crc,
    truncated: 0,
    messages: flattenMessage(inner).map((m) => messageToJson(decodeMessage(m))),
  };
}

const nonce = (): Uint8Array => new Uint8Array(randomBytes(nonceSize));

/** Shoal's encoding of a vector's input, or null for vectors that have nothing to encode. */
export function shoalCheckFor(v: GoVector): ShoalCheck | null {
  const keys = v.keys ?? [];
  const key = keys[0] === undefined ? null : fromHex(keys[0]);
  const encryptionVersion = v.encryptionVersion ?? 1;
  switch (v.kind) {
    case "message": {
      const bytes = encodeMessage(messageFromJson(v.type!, v.fields!));
      return { req: { kind: "message", hex: toHex(bytes) }, expect: { type: v.type, fields: v.fields } };
    }
    case "push-pull":
      return {
        req: { kind: "push-pull", hex: toHex(encodePushPull(pushPullFromJson(v.fields!))) },
        expect: { ...v.fields, leftover: 0 },
      };
    case "user-stream": {
      const payload = fromHex((v.fields as JsonFields).payload as string);
      return {
        req: { kind: "user-stream", hex: toHex(encodeUserStreamMessage(payload)) },
        expect: { payload: toHex(payload), leftover: 0 },
      };
    }
    case "compound":
      return {
        req: { kind: "compound", hex: toHex(encodeCompound(v.parts!.map(fromHex))) },
        expect: { parts: v.parts, truncated: 0 },
      };
    case "compress":
      return {
        req: { kind: "compress", hex: toHex(compressMessage(fromHex(v.inner!))) },
        expect: { inner: v.inner },
      };
    case "lzw":
      return { req: { kind: "lzw", hex: toHex(lzwCompress(fromHex(v.data!))) }, expect: { data: v.data } };
    case "encrypt": {
      const sealed = encryptPayload(encryptionVersion, key!, fromHex(v.plaintext!), fromHex(v.ad!), nonce());
      return {
        req: { kind: "encrypt", hex: toHex(sealed), keys, ad: v.ad! },
        expect: { plaintext: v.plaintext },
      };
    }
    case "packet": {
      const inner = fromHex(v.inner!);
      const opts = { compress: v.compress ?? false, crc: v.crc ?? false, key, encryptionVersion, label: "" };
      const bytes = encodePacket(inner, { ...opts, nonce: nonce() });
      return {
        req: { kind: "packet", hex: toHex(bytes), keys: v.receiverKeys ?? keys },
        expect: expectedPacketFields(inner, opts.crc, key !== null),
      };
    }
    case "stream": {
      const inner = fromHex(v.inner!);
      const bytes = encodeStreamMessage(inner, {
        compress: v.compress ?? false,
        key,
        encryptionVersion,
        label: "",
        nonce: nonce(),
      });
      return {
        req: { kind: "stream", hex: toHex(bytes), keys },
        expect: expectedStreamFields(inner),
      };
    }
    case "crc":
    case "compound-decode":
    case "keyring":
    case "decode":
      return null;
  }
}

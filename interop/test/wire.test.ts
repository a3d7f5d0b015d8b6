/**
 * Shoal's wire layer against Debian's Go memberlist 0.2.2, both ways:
 * - Go → Shoal: every vector Go encodes decodes in Shoal to its inputs, and Shoal re-encodes the inputs
 *   to Go's exact bytes;
 * - Shoal → Go: Shoal's encodings of the same inputs, and of random ones, decode in Go (its own msgpack
 *   structs, decompression, CRC, compound split, decryption and stream readers) to the same fields.
 * Skipped, loudly, where Go or Debian's memberlist is not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  decodeMessage,
  decodePacket,
  decodePushPull,
  decodeStreamMessage,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStreamMessage,
  encodeUserStreamMessage,
  flattenMessage,
  MessageType,
  streamFrameLength,
} from "@shoal/memberlist/wire";
import fc from "fast-check";
import { emptyAsNull, fromHex, messageToJson, normalize, pushPullToJson, toHex } from "../lib/fields.ts";
import {
  buildInteropBinaries,
  type CheckResponse,
  GoChecker,
  type GoVector,
  goVectors,
  type JsonFields,
} from "../lib/go.ts";
import { anyMessage, anyPacketBody, anyPacketFraming, anyPushPull, anyStreamMessage } from "./arbitraries.ts";
import { skipWithoutGo } from "./go-skip.ts";
import { checkGoVector } from "./go-vector-checks.ts";
import { expectedPacketFields, expectedStreamFields, shoalCheckFor } from "./shoal-encodings.ts";

const skip = skipWithoutGo("interop/test/wire.test.ts", "Shoal's wire format against Go");

const vectors: GoVector[] = skip ? [] : ((await goVectors())?.vectors ?? []);
/** A fixed seed keeps the random cases reproducible; SHOAL_SEED explores others. */
const seed = Number(process.env.SHOAL_SEED ?? 20261122);

/** What shoal-interop needs to frame `inner` as Shoal did with framing `f`. */
function goFraming(
  inner: Uint8Array,
  f: { compress: boolean; key: Uint8Array | null; encryptionVersion: 0 | 1 },
) {
  // Go picks encryption version 0 only when it speaks protocol version 1.
  const protocolVersion = f.encryptionVersion === 0 ? 1 : 5;
  return { hex: toHex(inner), keys: goKeys(f.key), compress: f.compress, protocolVersion };
}

/** The key list shoal-interop takes: hex, and none for plaintext. */
function goKeys(key: Uint8Array | null): string[] {
  return key ? [toHex(key)] : [];
}

/** Shoal's receive options for framing with `key` (or none). */
function receiveWith(key: Uint8Array | null) {
  return { label: "", keys: key ? [key] : [], verifyIncoming: true };
}

function assertGoDecoded(res: CheckResponse, expect: unknown, what: string): void {
  assert.ok(res.ok, `Go could not decode ${what}: ${res.error}`);
  assert.deepEqual(normalize(res.fields), normalize(expect), `Go decoded ${what} differently`);
}

test("the Go interop programs build against Debian's memberlist 0.2.2", { skip }, async () => {
  const bins = await buildInteropBinaries();
  assert.ok(bins, "goAvailable() said yes but the build returned nothing");
  assert.ok(existsSync(bins.interop) && existsSync(bins.gonode));
});

describe("Go memberlist 0.2.2 → Shoal (Go's vectors)", { skip }, () => {
  test("Go produced vectors of every kind", () => {
    const kinds = new Set(vectors.map((v) => v.kind));
    for (const k of [
      "message",
      "push-pull",
      "user-stream",
      "compound",
      "compress",
      "lzw",
      "packet",
      "encrypt",
    ]) {
      assert.ok(kinds.has(k as GoVector["kind"]), `no ${k} vectors`);
    }
    for (const k of ["stream", "keyring", "compound-decode", "decode"])
      assert.ok(kinds.has(k as GoVector["kind"]));
    const types = new Set(vectors.filter((v) => v.kind === "message").map((v) => v.type));
    for (const t of ["ping", "indirect-ping", "ack", "nack", "err", "suspect", "alive", "dead", "user"]) {
      assert.ok(types.has(t), `no ${t} message vector`);
    }
  });

  for (const v of vectors) {
    test(v.name, () => checkGoVector(v));
  }
});

describe("Shoal → Go memberlist 0.2.2 (Go decodes Shoal's bytes)", { skip }, () => {
  let go: GoChecker;
  before(async () => {
    const started = await GoChecker.start();
    assert.ok(started, "Go is installed but shoal-interop could not be built");
    go = started;
  });
  after(async () => {
    await go?.close();
  });

  test("Shoal's encodings of every vector input", async () => {
    let checked = 0;
    for (const v of vectors) {
      const c = shoalCheckFor(v);
      if (c === null) continue;
      assertGoDecoded(await go.check(c.req), c.expect, v.name);
      checked++;
    }
    assert.ok(checked > 50, `only ${checked} vectors were checked`);
  });

  test("random messages", async () => {
    await fc.assert(
      fc.asyncProperty(anyMessage, async (m) => {
        const res = await go.check({ kind: "message", hex: toHex(encodeMessage(m)) });
        assertGoDecoded(res, messageToJson(m), "a message");
      }),
      { seed, numRuns: 300 },
    );
  });

  test("random push/pulls, plain and as a stream user message", async () => {
    await fc.assert(
      fc.asyncProperty(anyPushPull, async (pp) => {
        const res = await go.check({ kind: "push-pull", hex: toHex(encodePushPull(pp)) });
        assertGoDecoded(res, { ...pushPullToJson(pp), leftover: 0 }, "a push/pull");
        const user = pp.userState ?? new Uint8Array(0);
        const u = await go.check({ kind: "user-stream", hex: toHex(encodeUserStreamMessage(user)) });
        assertGoDecoded(u, { payload: toHex(user), leftover: 0 }, "a stream user message");
      }),
      { seed, numRuns: 60 },
    );
  });

  test("random packets: compound, compression, CRC and AES-GCM in any combination", async () => {
    await fc.assert(
      fc.asyncProperty(anyPacketBody, anyPacketFraming, async (inner, f) => {
        const bytes = encodePacket(inner, { ...f, label: "" });
        const res = await go.check({ kind: "packet", hex: toHex(bytes), keys: goKeys(f.key) });
        assertGoDecoded(res, expectedPacketFields(inner, f.crc, f.key !== null), "a packet");
      }),
      { seed, numRuns: 150 },
    );
  });

  test("random stream messages: push/pull, user and ping, compressed and encrypted", async () => {
    await fc.assert(
      fc.asyncProperty(anyStreamMessage, anyPacketFraming, async (inner, f) => {
        const bytes = encodeStreamMessage(inner, {
          compress: f.compress,
          key: f.key,
          encryptionVersion: f.encryptionVersion,
          label: "",
        });
        const res = await go.check({ kind: "stream", hex: toHex(bytes), keys: goKeys(f.key) });
        assertGoDecoded(res, expectedStreamFields(inner), "a stream message");
      }),
      { seed, numRuns: 120 },
    );
  });

  test("random messages encoded by Go: Shoal decodes them, and Shoal's own bytes are Go's", async () => {
    await fc.assert(
      fc.asyncProperty(anyMessage, async (m) => {
        const { type, fields } = messageToJson(m);
        const res = await go.check({
          kind: "encode-message",
          type,
          fields: emptyAsNull(fields) as JsonFields,
        });
        assert.ok(res.ok, `Go could not encode: ${res.error}`);
        const goHex = res.fields!.hex as string;
        assert.deepEqual(
          normalize(messageToJson(decodeMessage(fromHex(goHex)))),
          normalize({ type, fields }),
        );
        assert.equal(toHex(encodeMessage(m)), goHex);
      }),
      { seed, numRuns: 300 },
    );
  });

  test("random push/pulls encoded by Go's sendLocalState: Shoal decodes them to the same bytes", async () => {
    await fc.assert(
      fc.asyncProperty(anyPushPull, async (pp) => {
        const fields = emptyAsNull(pushPullToJson(pp)) as JsonFields;
        const res = await go.check({ kind: "encode-push-pull", fields });
        assert.ok(res.ok, `Go could not encode: ${res.error}`);
        const goBytes = fromHex(res.fields!.hex as string);
        assert.deepEqual(normalize(pushPullToJson(decodePushPull(goBytes.subarray(1)))), normalize(fields));
        assert.equal(toHex(encodePushPull(pp)), res.fields!.hex);
      }),
      { seed, numRuns: 60 },
    );
  });

  test("random packets framed by Go's send path: Shoal unwraps them and frames them alike", async () => {
    await fc.assert(
      fc.asyncProperty(anyPacketBody, anyPacketFraming, async (inner, f) => {
        const res = await go.check({ kind: "encode-packet", crc: f.crc, ...goFraming(inner, f) });
        assert.ok(res.ok, `Go could not frame a packet: ${res.error}`);
        const goPacket = fromHex(res.fields!.hex as string);
        const plain = decodePacket(goPacket, receiveWith(f.key));
        assert.deepEqual(flattenMessage(plain).map(toHex), flattenMessage(inner).map(toHex));
        const nonce = f.key ? { nonce: goPacket.subarray(1, 13) } : {};
        assert.equal(toHex(encodePacket(inner, { ...f, label: "", ...nonce })), res.fields!.hex);
      }),
      { seed, numRuns: 150 },
    );
  });

  test("random stream messages framed by Go's send path: Shoal unwraps them and frames them alike", async () => {
    await fc.assert(
      fc.asyncProperty(anyStreamMessage, anyPacketFraming, async (inner, f) => {
        const res = await go.check({ kind: "encode-stream", ...goFraming(inner, f) });
        assert.ok(res.ok, `Go could not frame a stream message: ${res.error}`);
        const goStream = fromHex(res.fields!.hex as string);
        assert.equal(streamFrameLength(goStream), goStream.length);
        const opened = decodeStreamMessage(goStream, receiveWith(f.key));
        assert.equal(toHex(opened), toHex(inner));
        // The encrypted envelope is [10][u32 length][vsn][nonce]...
        const nonce = f.key ? { nonce: goStream.subarray(6, 18) } : {};
        assert.equal(toHex(encodeStreamMessage(inner, { ...f, label: "", ...nonce })), res.fields!.hex);
      }),
      { seed, numRuns: 120 },
    );
  });

  test("a Shoal packet under a key Go does not hold is refused", async () => {
    const msg = encodeMessage({ type: MessageType.NackResp, body: { seqNo: 7 } });
    const key = new Uint8Array(16).fill(1);
    const bytes = encodePacket(msg, { compress: false, crc: false, key, encryptionVersion: 1, label: "" });
    const res = await go.check({
      kind: "packet",
      hex: toHex(bytes),
      keys: [toHex(new Uint8Array(16).fill(2))],
    });
    assert.equal(res.ok, false, "Go accepted a packet sealed with a key it does not have");
  });
});

/**
 * A hand-written encoder for push/pull node states: one per member in every push/pull, so it is the
 * bulk of a large cluster's anti-entropy. It writes exactly what `encodeStruct(pushNodeStateSchema)`
 * writes (a property test holds the two together) without the generic encoder's per-field lookups.
 * A value it does not expect goes to the generic encoder, which rejects invalid ones with its errors.
 */
import { type ByteWriter, utf8Length } from "./bytes.ts";
import type { PushNodeState } from "./messages.ts";
import { writeInt, writeNil, writeRaw, writeString, writeUint } from "./msgpack.ts";
import { encodeStruct, structSize } from "./schema.ts";
import { pushNodeStateSchema } from "./structs.ts";

/** A fixstr key as go-msgpack writes it. */
function key(name: string): Uint8Array {
  return Uint8Array.of(0xa0 | name.length, ...Array.from(name, (c) => c.charCodeAt(0)));
}

// Go's field names in byte-wise order, as go-msgpack sorts them.
const kAddr = key("Addr");
const kIncarnation = key("Incarnation");
const kMeta = key("Meta");
const kName = key("Name");
const kPort = key("Port");
const kState = key("State");
const kVsn = key("Vsn");
const keysLength =
  kAddr.length +
  kIncarnation.length +
  kMeta.length +
  kName.length +
  kPort.length +
  kState.length +
  kVsn.length;
const fixmap7 = 0x80 | 7;

function isPlain(n: PushNodeState): boolean {
  return (
    typeof n.name === "string" &&
    n.addr instanceof Uint8Array &&
    n.meta instanceof Uint8Array &&
    n.vsn instanceof Uint8Array &&
    Number.isInteger(n.port) &&
    n.port >= 0 &&
    n.port <= 0xffff &&
    Number.isInteger(n.incarnation) &&
    n.incarnation >= 0 &&
    n.incarnation <= 0xffff_ffff &&
    Number.isSafeInteger(n.state)
  );
}

function uintSize(v: number): number {
  return v <= 0x7f ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffff_ffff ? 5 : 9;
}

function rawSize(len: number): number {
  return len === 0 ? 1 : len + (len < 32 ? 1 : len < 0x10000 ? 3 : 5);
}

/** The encoded size of one node state. */
export function pushNodeStateSize(n: PushNodeState): number {
  if (!isPlain(n)) return structSize(pushNodeStateSchema, n);
  const name = rawSize(utf8Length(n.name));
  const state = n.state >= 0 ? uintSize(n.state) : 9;
  return (
    1 +
    keysLength +
    rawSize(n.addr.length) +
    uintSize(n.incarnation) +
    rawSize(n.meta.length) +
    name +
    uintSize(n.port) +
    state +
    rawSize(n.vsn.length)
  );
}

function writeBytesOrNil(w: ByteWriter, b: Uint8Array): void {
  if (b.length === 0) writeNil(w);
  else writeRaw(w, b);
}

/** Writes one node state as a msgpack map with Go's sorted keys. */
export function encodePushNodeState(w: ByteWriter, n: PushNodeState): void {
  if (!isPlain(n)) {
    encodeStruct(w, pushNodeStateSchema, n);
    return;
  }
  w.u8(fixmap7);
  w.bytes(kAddr);
  writeBytesOrNil(w, n.addr);
  w.bytes(kIncarnation);
  writeUint(w, n.incarnation);
  w.bytes(kMeta);
  writeBytesOrNil(w, n.meta);
  w.bytes(kName);
  writeString(w, n.name);
  w.bytes(kPort);
  writeUint(w, n.port);
  w.bytes(kState);
  writeInt(w, n.state);
  w.bytes(kVsn);
  writeBytesOrNil(w, n.vsn);
}

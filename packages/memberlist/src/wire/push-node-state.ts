/**
 * A hand-written codec for push/pull node states: one per member in every push/pull, so they are the
 * bulk of a large cluster's anti-entropy. The encoder writes exactly what
 * `encodeStruct(pushNodeStateSchema)` writes, and the decoder reads Go's canonical layout (a map of the
 * seven fields in sorted key order) directly and anything else through `decodeStruct`, with the same
 * results and errors (property tests hold each pair together). A value the encoder does not expect
 * goes to the generic encoder, which rejects invalid ones with its errors.
 */
import { type ByteWriter, emptyBytes, utf8Length } from "./bytes.ts";
import { fixedKey, takeKey } from "./fixed-keys.ts";
import type { NodeState, PushNodeState } from "./messages.ts";
import { type MsgpackReader, writeInt, writeNil, writeRaw, writeString, writeUint } from "./msgpack.ts";
import { decodeStruct, encodeStruct, structSize } from "./schema.ts";
import { pushNodeStateSchema } from "./structs.ts";

// Go's field names in byte-wise order, as go-msgpack sorts them.
const kAddr = fixedKey("Addr");
const kIncarnation = fixedKey("Incarnation");
const kMeta = fixedKey("Meta");
const kName = fixedKey("Name");
const kPort = fixedKey("Port");
const kState = fixedKey("State");
const kVsn = fixedKey("Vsn");
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

/** Not Go's layout after all: read the whole state again with the general decoder. */
function general(r: MsgpackReader, start: number): PushNodeState {
  r.pos = start;
  return decodeStruct(r, pushNodeStateSchema);
}

/** Reads one node state. */
export function decodePushNodeState(r: MsgpackReader): PushNodeState {
  const start = r.pos;
  if (start >= r.end || r.buf[start] !== fixmap7) return general(r, start);
  r.pos = start + 1;
  if (!takeKey(r, kAddr)) return general(r, start);
  const addr = r.readBytes() ?? emptyBytes;
  if (!takeKey(r, kIncarnation)) return general(r, start);
  const incarnation = r.readUint(0xffff_ffff);
  if (!takeKey(r, kMeta)) return general(r, start);
  const meta = r.readBytes() ?? emptyBytes;
  if (!takeKey(r, kName)) return general(r, start);
  const name = r.readString();
  if (!takeKey(r, kPort)) return general(r, start);
  const port = r.readUint(0xffff);
  if (!takeKey(r, kState)) return general(r, start);
  // Any Go int decodes; the engine decides what an unknown state means.
  const state = r.readInt() as NodeState;
  if (!takeKey(r, kVsn)) return general(r, start);
  const vsn = r.readBytes() ?? emptyBytes;
  return { name, addr, port, meta, incarnation, state, vsn };
}

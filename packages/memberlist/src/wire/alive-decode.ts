/**
 * A direct decoder for alive messages, the bulk of all gossip: every member re-gossips every alive it
 * learns, so a forming cluster of N members handles O(N² log N) of them. It reads Go's canonical
 * layout (a map of the six fields in sorted key order) directly and anything else through
 * `decodeStruct`, with the same results and errors (a property test holds the two together).
 */
import { emptyBytes } from "./bytes.ts";
import { fixedKey, takeKey } from "./fixed-keys.ts";
import type { Alive } from "./messages.ts";
import type { MsgpackReader } from "./msgpack.ts";
import { decodeStruct } from "./schema.ts";
import { aliveSchema } from "./structs.ts";

// Go's field names in byte-wise order, as go-msgpack sorts them.
const kAddr = fixedKey("Addr");
const kIncarnation = fixedKey("Incarnation");
const kMeta = fixedKey("Meta");
const kNode = fixedKey("Node");
const kPort = fixedKey("Port");
const kVsn = fixedKey("Vsn");
const fixmap6 = 0x80 | 6;

/** Not Go's layout after all: read the whole body again with the general decoder. */
function general(r: MsgpackReader, start: number): Alive {
  r.pos = start;
  return decodeStruct(r, aliveSchema);
}

/** Reads one alive message body. */
export function decodeAlive(r: MsgpackReader): Alive {
  const start = r.pos;
  if (start >= r.end || r.buf[start] !== fixmap6) return general(r, start);
  r.pos = start + 1;
  if (!takeKey(r, kAddr)) return general(r, start);
  const addr = r.readBytes() ?? emptyBytes;
  if (!takeKey(r, kIncarnation)) return general(r, start);
  const incarnation = r.readUint(0xffff_ffff);
  if (!takeKey(r, kMeta)) return general(r, start);
  const meta = r.readBytes() ?? emptyBytes;
  if (!takeKey(r, kNode)) return general(r, start);
  const node = r.readString();
  if (!takeKey(r, kPort)) return general(r, start);
  const port = r.readUint(0xffff);
  if (!takeKey(r, kVsn)) return general(r, start);
  const vsn = r.readBytes() ?? emptyBytes;
  return { incarnation, node, addr, port, meta, vsn };
}

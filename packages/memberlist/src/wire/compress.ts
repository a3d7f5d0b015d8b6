/**
 * Compressed messages (memberlist-wire.md §4.4): `[9][msgpack compress{Algo: 0, Buf: lzw(message)}]`.
 */
import { DecodeError } from "../errors.ts";
import { ByteWriter } from "./bytes.ts";
import { maxDecompressedBytes } from "./limits.ts";
import { lzwCompress, lzwDecompress } from "./lzw.ts";
import { MessageType } from "./messages.ts";
import { MsgpackReader } from "./msgpack.ts";
import { decodeStruct, encodeStruct } from "./schema.ts";
import { compressSchema } from "./structs.ts";

/** The only compression algorithm memberlist defines. */
export const lzwAlgo = 0;

/** Wraps a complete message (or compound) as a compressed message. */
export function compressMessage(msg: Uint8Array): Uint8Array {
  const buf = lzwCompress(msg);
  const w = new ByteWriter(buf.length + 16);
  w.u8(MessageType.Compress);
  encodeStruct(w, compressSchema, { algo: lzwAlgo, buf });
  return w.finish();
}

/**
 * Unwraps a compressed message; `body` is what follows the `[9]` byte. Returns the inner message.
 * DecodeError for malformed msgpack, an unknown algorithm, bad LZW, output over `limit`, or empty output.
 */
export function decompressMessage(body: Uint8Array, limit = maxDecompressedBytes): Uint8Array {
  const c = decodeStruct(new MsgpackReader(body), compressSchema);
  if (c.algo !== lzwAlgo) throw new DecodeError(`unknown compression algorithm ${c.algo}`);
  const out = lzwDecompress(c.buf, limit);
  if (out.length === 0) throw new DecodeError("decompressed message is empty");
  return out;
}

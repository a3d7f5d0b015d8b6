/**
 * Whole messages: `[type][msgpack body]`, and the UDP user message `[8][raw payload]`
 * (memberlist-wire.md §1, §4.6).
 */
import { DecodeError, EncodeError } from "../errors.ts";
import { decodeAlive } from "./alive-decode.ts";
import { allocBytes, ByteWriter, copyBytes } from "./bytes.ts";
import { type Message, MessageType } from "./messages.ts";
import { MsgpackReader } from "./msgpack.ts";
import { decodeStruct, encodeStruct, type StructSchema, structSize } from "./schema.ts";
import {
  ackRespSchema,
  aliveSchema,
  deadSchema,
  errRespSchema,
  indirectPingSchema,
  nackRespSchema,
  pingSchema,
  suspectSchema,
} from "./structs.ts";

/** The msgpack schema of each message type whose body is one struct. */
const bodySchemas = new Map<number, StructSchema<unknown>>([
  [MessageType.Ping, pingSchema as StructSchema<unknown>],
  [MessageType.IndirectPing, indirectPingSchema as StructSchema<unknown>],
  [MessageType.AckResp, ackRespSchema as StructSchema<unknown>],
  [MessageType.NackResp, nackRespSchema as StructSchema<unknown>],
  [MessageType.Err, errRespSchema as StructSchema<unknown>],
  [MessageType.Suspect, suspectSchema as StructSchema<unknown>],
  [MessageType.Alive, aliveSchema as StructSchema<unknown>],
  [MessageType.Dead, deadSchema as StructSchema<unknown>],
]);

function schemaFor(type: number): StructSchema<unknown> {
  const schema = bodySchemas.get(type);
  if (!schema) throw new EncodeError(`message type ${type} has no struct body`);
  return schema;
}

/** Encodes a message as `[type][msgpack body]`, or `[8][payload]` for a UDP user message. */
export function encodeMessage(m: Message): Uint8Array {
  if (m.type === MessageType.User) {
    const out = allocBytes(m.body.length + 1);
    out[0] = MessageType.User;
    out.set(m.body, 1);
    return out;
  }
  const schema = schemaFor(m.type);
  const w = new ByteWriter(1 + structSize(schema, m.body));
  w.u8(m.type);
  encodeStruct(w, schema, m.body);
  return w.finish();
}

/** Encodes only the msgpack body of a struct message (no type byte). */
export function encodeBody(type: MessageType, body: object): Uint8Array {
  const schema = schemaFor(type);
  const w = new ByteWriter(structSize(schema, body));
  encodeStruct(w, schema, body);
  return w.finish();
}

/**
 * Decodes one `[type][body]` message of a type in the {@link Message} union. Trailing bytes after the
 * msgpack body are ignored, as Go does. DecodeError for other types and malformed bodies.
 */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length === 0) throw new DecodeError("empty message");
  const type = buf[0]!;
  if (type === MessageType.User) return { type, body: copyBytes(buf, 1, buf.length) };
  const schema = bodySchemas.get(type);
  if (!schema) throw new DecodeError(`message type ${type} cannot be decoded as a single message`);
  const r = new MsgpackReader(buf, 1);
  if (type === MessageType.Alive) return { type, body: decodeAlive(r) };
  return { type, body: decodeStruct(r, schema) } as Message;
}

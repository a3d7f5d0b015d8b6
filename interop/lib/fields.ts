/**
 * Converts Shoal's wire values to and from the JSON field maps `shoal-interop` speaks (camelCase names,
 * bytes as hex, Go's nil bytes as null), and normalises both sides for a field-by-field comparison.
 */
import type { Message, PushNodeState, PushPull } from "@shoal/memberlist/wire";
import { MessageType } from "@shoal/memberlist/wire";
import type { JsonFields } from "./vector-types.ts";

/** Lowercase hex of some bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Bytes of a hex string. */
export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, "hex"));
}

/** Message type names used by the Go programs, by type byte. */
export const messageTypeNames = {
  ping: MessageType.Ping,
  "indirect-ping": MessageType.IndirectPing,
  ack: MessageType.AckResp,
  nack: MessageType.NackResp,
  err: MessageType.Err,
  suspect: MessageType.Suspect,
  alive: MessageType.Alive,
  dead: MessageType.Dead,
  user: MessageType.User,
} as const;

/** A message type name the Go programs use. */
export type MessageTypeName = keyof typeof messageTypeNames;

/** The fields of each message body that are bytes (hex in JSON). */
const byteFields: Record<MessageTypeName, readonly string[]> = {
  ping: ["sourceAddr"],
  "indirect-ping": ["target", "sourceAddr"],
  ack: ["payload"],
  nack: [],
  err: [],
  suspect: [],
  alive: ["addr", "meta", "vsn"],
  dead: [],
  user: ["payload"],
};
const nodeStateByteFields = ["addr", "meta", "vsn"];

function isMessageTypeName(name: string): name is MessageTypeName {
  return Object.hasOwn(messageTypeNames, name);
}

function typeNameOf(type: number): MessageTypeName {
  for (const [name, t] of Object.entries(messageTypeNames)) if (t === type) return name as MessageTypeName;
  throw new Error(`no JSON name for message type ${type}`);
}

function bytesFromJson(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw new Error(`expected hex, got ${JSON.stringify(v)}`);
  return fromHex(v);
}

function objectFromJson(fields: JsonFields, bytes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = bytes.includes(k) ? bytesFromJson(v) : v;
  return out;
}

function objectToJson(obj: object, bytes: readonly string[]): JsonFields {
  const out: JsonFields = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = bytes.includes(k) ? (v === null ? null : toHex(v as Uint8Array)) : v;
  }
  return out;
}

/**
 * Builds a Shoal message from a Go vector's type name and fields. Nil bytes become empty arrays except
 * where Shoal's type allows null (the ack payload).
 */
export function messageFromJson(typeName: string, fields: JsonFields): Message {
  if (!isMessageTypeName(typeName)) throw new Error(`unknown message type ${typeName}`);
  const body = objectFromJson(fields, byteFields[typeName]);
  if (typeName === "user")
    return { type: MessageType.User, body: (body.payload as Uint8Array) ?? new Uint8Array(0) };
  for (const k of byteFields[typeName]) {
    if (body[k] === null && !(typeName === "ack" && k === "payload")) body[k] = new Uint8Array(0);
  }
  return { type: messageTypeNames[typeName], body } as unknown as Message;
}

/** A Shoal message as `{type, fields}`; omitempty Source* fields are left out when zero, as Go does. */
export function messageToJson(m: Message): { type: MessageTypeName; fields: JsonFields } {
  const type = typeNameOf(m.type);
  if (m.type === MessageType.User) return { type, fields: { payload: toHex(m.body) } };
  const fields = objectToJson(m.body, byteFields[type]);
  for (const k of ["sourceAddr", "sourcePort", "sourceNode"]) {
    if (fields[k] === "" || fields[k] === 0) delete fields[k];
  }
  return { type, fields };
}

/** A push/pull from Go's JSON form. */
export function pushPullFromJson(fields: JsonFields): PushPull {
  const nodes = (fields.nodes as JsonFields[]).map((n) => {
    const o = objectFromJson(n, nodeStateByteFields);
    for (const k of nodeStateByteFields) if (o[k] === null) o[k] = new Uint8Array(0);
    return o as unknown as PushNodeState;
  });
  return { join: fields.join as boolean, nodes, userState: bytesFromJson(fields.userState) };
}

/** A push/pull in Go's JSON form. */
export function pushPullToJson(pp: PushPull): JsonFields {
  return {
    join: pp.join,
    nodes: pp.nodes.map((n) => objectToJson(n, nodeStateByteFields)),
    userState: pp.userState === null ? null : toHex(pp.userState),
  };
}

/**
 * Normalises a JSON value for comparison: memberlist does not distinguish nil from empty bytes, so
 * null becomes "" (in these field maps null only ever stands for nil bytes).
 */
export function normalize(v: unknown): unknown {
  if (v === null) return "";
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalize(x);
    return out;
  }
  return v;
}

/**
 * Replaces every "" with null, deeply. Sent to Go, byte fields then become nil slices, which Go writes as
 * msgpack nil just as Shoal writes empty bytes; string fields read null as "" anyway.
 */
export function emptyAsNull(v: unknown): unknown {
  if (v === "") return null;
  if (Array.isArray(v)) return v.map(emptyAsNull);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = emptyAsNull(x);
    return out;
  }
  return v;
}

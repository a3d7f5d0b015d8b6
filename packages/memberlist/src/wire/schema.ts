/**
 * Schema-driven struct codec. A Go struct is described once by its fields (Go name, JS property, kind);
 * encoding writes a map with keys sorted byte-wise as go-msgpack does, and decoding accepts a map in any
 * key order (unknown keys skipped) or an array in declaration order (memberlist-wire.md §3.1–§3.3).
 */
import { DecodeError, EncodeError } from "../errors.ts";
import { type ByteWriter, emptyBytes, utf8Length } from "./bytes.ts";
import {
  ContainerKind,
  type MsgpackReader,
  writeBool,
  writeInt,
  writeMapHeader,
  writeNil,
  writeRaw,
  writeString,
  writeUint,
} from "./msgpack.ts";

/**
 * Field kinds: Go unsigned ints, Go `int`, bool, string, `[]byte` (nil decodes to an empty array) and
 * nullable `[]byte` (nil decodes to null, for `ackResp.Payload`).
 */
export type FieldKind = "u8" | "u16" | "u32" | "int" | "bool" | "string" | "bytes" | "nullableBytes";

/** One struct field: its Go name (the msgpack key), the JS property, its kind and `omitempty`. */
export interface FieldSpec {
  readonly go: string;
  readonly prop: string;
  readonly kind: FieldKind;
  readonly omitEmpty?: boolean;
}

/** Kinds as small integers, so the per-field switch is a jump table. */
const K = { uint: 0, int: 1, bool: 2, string: 3, bytes: 4, nullableBytes: 5 } as const;

interface CompiledField extends FieldSpec {
  /** The encoded key: fixstr header and ASCII name. */
  readonly keyBytes: Uint8Array;
  readonly code: number;
  /** Largest value of an unsigned kind. */
  readonly max: number;
}

/** A compiled struct schema. */
export interface StructSchema<T> {
  readonly name: string;
  /** Declaration order (struct-as-array decoding). */
  readonly declared: readonly CompiledField[];
  /** Byte-wise key order (encoding). */
  readonly sorted: readonly CompiledField[];
  /** Fields indexed by key length, for matching decoded keys. */
  readonly byKeyLength: readonly (readonly CompiledField[])[];
  /** Whether any field is `omitempty` (otherwise the map size is fixed). */
  readonly hasOmitEmpty: boolean;
  /** A fresh object holding every field's zero value. */
  readonly create: () => T;
}

const uintMax: Partial<Record<FieldKind, number>> = { u8: 0xff, u16: 0xffff, u32: 0xffff_ffff };
const kindCode: Record<FieldKind, number> = {
  u8: K.uint,
  u16: K.uint,
  u32: K.uint,
  int: K.int,
  bool: K.bool,
  string: K.string,
  bytes: K.bytes,
  nullableBytes: K.nullableBytes,
};

/** Compiles a struct schema from its fields in Go declaration order. */
export function defineStruct<T>(
  name: string,
  fields: readonly FieldSpec[],
  create: () => T,
): StructSchema<T> {
  const declared = fields.map((f): CompiledField => {
    const keyBytes = new Uint8Array(f.go.length + 1);
    keyBytes[0] = 0xa0 | f.go.length;
    for (let i = 0; i < f.go.length; i++) keyBytes[i + 1] = f.go.charCodeAt(i);
    return { ...f, keyBytes, code: kindCode[f.kind], max: uintMax[f.kind] ?? Number.MAX_SAFE_INTEGER };
  });
  // Go field names are ASCII, so UTF-16 order is byte order.
  const sorted = [...declared].sort((a, b) => (a.go < b.go ? -1 : a.go > b.go ? 1 : 0));
  const byKeyLength: CompiledField[][] = Array.from({ length: 32 }, () => []);
  for (const f of declared) byKeyLength[f.go.length]!.push(f);
  const hasOmitEmpty = declared.some((f) => f.omitEmpty === true);
  return { name, declared, sorted, byKeyLength, hasOmitEmpty, create };
}

function isEmpty(code: number, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  switch (code) {
    case K.string:
      return v === "";
    case K.bytes:
    case K.nullableBytes:
      return (v as Uint8Array).length === 0;
    case K.bool:
      return v !== true;
    default:
      return v === 0;
  }
}

function badValue(schema: string, f: FieldSpec, v: unknown, want: string): EncodeError {
  return new EncodeError(`${schema}.${f.prop}: ${String(v)} is not ${want}`);
}

function uintSize(v: number): number {
  return v <= 0x7f ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffff_ffff ? 5 : 9;
}

function rawSize(len: number): number {
  return len + (len < 32 ? 1 : len < 0x10000 ? 3 : 5);
}

/**
 * The encoded size of `obj` (so a message is allocated once, at its exact size). Invalid values are
 * sized loosely here; {@link encodeStruct} rejects them.
 */
export function structSize<T>(schema: StructSchema<T>, obj: T): number {
  const o = obj as Record<string, unknown>;
  let size = 1;
  for (const f of schema.sorted) {
    const v = o[f.prop];
    if (f.omitEmpty && isEmpty(f.code, v)) continue;
    size += f.keyBytes.length;
    switch (f.code) {
      case K.uint:
      case K.int:
        size += typeof v === "number" && v >= 0 ? uintSize(v) : 9;
        break;
      case K.bool:
        size += 1;
        break;
      case K.string:
        size += typeof v === "string" ? rawSize(utf8Length(v)) : 1;
        break;
      default:
        size += v instanceof Uint8Array && v.length > 0 ? rawSize(v.length) : 1;
    }
  }
  return size;
}

/** Writes `obj` as a msgpack map with Go's sorted keys, omitting empty `omitempty` fields. */
export function encodeStruct<T>(w: ByteWriter, schema: StructSchema<T>, obj: T): void {
  const o = obj as Record<string, unknown>;
  const fields = schema.sorted;
  let n = fields.length;
  if (schema.hasOmitEmpty) {
    for (const f of fields) if (f.omitEmpty && isEmpty(f.code, o[f.prop])) n--;
  }
  writeMapHeader(w, n);
  for (const f of fields) {
    const v = o[f.prop];
    if (f.omitEmpty && isEmpty(f.code, v)) continue;
    w.bytes(f.keyBytes);
    switch (f.code) {
      case K.uint: {
        const x = v ?? 0;
        if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > f.max) {
          throw badValue(schema.name, f, v, `an integer in 0..${f.max}`);
        }
        writeUint(w, x);
        break;
      }
      case K.int: {
        const x = v ?? 0;
        if (typeof x !== "number" || !Number.isSafeInteger(x))
          throw badValue(schema.name, f, v, "a safe integer");
        writeInt(w, x);
        break;
      }
      case K.bool:
        writeBool(w, v === true);
        break;
      case K.string:
        if (typeof v === "string") writeString(w, v);
        else if (v === undefined || v === null) writeString(w, "");
        else throw badValue(schema.name, f, v, "a string");
        break;
      default:
        // Go writes a nil slice as nil; we never distinguish nil from empty (Go does not either).
        if (v === undefined || v === null || (v as Uint8Array).length === 0) writeNil(w);
        else if (v instanceof Uint8Array) writeRaw(w, v);
        else throw badValue(schema.name, f, v, "a Uint8Array");
    }
  }
}

function decodeField(r: MsgpackReader, f: CompiledField, o: Record<string, unknown>): void {
  switch (f.code) {
    case K.uint:
      o[f.prop] = r.readUint(f.max);
      return;
    case K.int:
      o[f.prop] = r.readInt();
      return;
    case K.bool:
      o[f.prop] = r.readBool();
      return;
    case K.string:
      o[f.prop] = r.readString();
      return;
    case K.bytes:
      o[f.prop] = r.readBytes() ?? emptyBytes;
      return;
    default:
      o[f.prop] = r.readBytes();
  }
}

/** The field whose key equals the raw value just read, if any. */
function findField(r: MsgpackReader, schema: StructSchema<unknown>): CompiledField | undefined {
  const start = r.rawStart;
  const len = r.rawEnd - start;
  const candidates = schema.byKeyLength[len];
  if (candidates === undefined) return undefined;
  const buf = r.buf;
  for (const f of candidates) {
    const key = f.keyBytes;
    let i = 0;
    while (i < len && buf[start + i] === key[i + 1]) i++;
    if (i === len) return f;
  }
  return undefined;
}

/**
 * Reads one struct: a map (any key order; unknown or non-string keys skipped; nil values leave the zero
 * value), an array in declaration order (extra elements skipped), or nil (all zero).
 */
export function decodeStruct<T>(r: MsgpackReader, schema: StructSchema<T>): T {
  const obj = schema.create();
  const o = obj as Record<string, unknown>;
  const kind = r.readContainer();
  const n = r.count;
  if (kind === ContainerKind.Map) {
    for (let i = 0; i < n; i++) {
      if (r.remaining <= 0) throw new DecodeError(`${schema.name}: truncated map`);
      let field: CompiledField | undefined;
      if (r.peekIsRaw()) {
        r.readRaw();
        field = findField(r, schema as StructSchema<unknown>);
      } else {
        r.skip();
      }
      if (field) decodeField(r, field, o);
      else r.skip();
    }
  } else if (kind === ContainerKind.Array) {
    const fields = schema.declared;
    for (let i = 0; i < n; i++) {
      if (r.remaining <= 0) throw new DecodeError(`${schema.name}: truncated array`);
      const f = fields[i];
      if (f) decodeField(r, f, o);
      else r.skip();
    }
  }
  return obj;
}

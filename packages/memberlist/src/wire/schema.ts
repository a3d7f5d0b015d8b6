/**
 * Schema-driven struct codec. A Go struct is described once by its fields (Go name, JS property, kind);
 * encoding writes a map with keys sorted byte-wise as go-msgpack does, and decoding accepts a map in any
 * key order (unknown keys skipped) or an array in declaration order (memberlist-wire.md §3.1–§3.3).
 */
import { DecodeError, EncodeError } from "../errors.ts";
import type { ByteWriter } from "./bytes.ts";
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

interface CompiledField extends FieldSpec {
  /** The encoded key: fixstr header and ASCII name. */
  readonly keyBytes: Uint8Array;
}

/** A compiled struct schema. */
export interface StructSchema<T> {
  readonly name: string;
  /** Declaration order (struct-as-array decoding). */
  readonly declared: readonly CompiledField[];
  /** Byte-wise key order (encoding). */
  readonly sorted: readonly CompiledField[];
  /** A fresh object holding every field's zero value. */
  readonly create: () => T;
}

const uintMax: Partial<Record<FieldKind, number>> = { u8: 0xff, u16: 0xffff, u32: 0xffff_ffff };
const emptyBytes = new Uint8Array(0);

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
    return { ...f, keyBytes };
  });
  // Go field names are ASCII, so UTF-16 order is byte order.
  const sorted = [...declared].sort((a, b) => (a.go < b.go ? -1 : a.go > b.go ? 1 : 0));
  return { name, declared, sorted, create };
}

function isEmpty(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case "string":
      return v === "" || v === undefined || v === null;
    case "bytes":
    case "nullableBytes":
      return v === undefined || v === null || (v as Uint8Array).length === 0;
    case "bool":
      return v !== true;
    default:
      return v === undefined || v === null || v === 0;
  }
}

function checkInt(schema: string, f: FieldSpec, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new EncodeError(`${schema}.${f.prop}: ${String(v)} is not an integer in ${min}..${max}`);
  }
  return v;
}

/** Writes `obj` as a msgpack map with Go's sorted keys, omitting empty `omitempty` fields. */
export function encodeStruct<T>(w: ByteWriter, schema: StructSchema<T>, obj: T): void {
  const o = obj as Record<string, unknown>;
  const fields = schema.sorted;
  let n = 0;
  for (const f of fields) if (!(f.omitEmpty && isEmpty(f.kind, o[f.prop]))) n++;
  writeMapHeader(w, n);
  for (const f of fields) {
    const v = o[f.prop];
    if (f.omitEmpty && isEmpty(f.kind, v)) continue;
    w.bytes(f.keyBytes);
    switch (f.kind) {
      case "u8":
      case "u16":
      case "u32":
        writeUint(w, checkInt(schema.name, f, v ?? 0, 0, uintMax[f.kind]!));
        break;
      case "int":
        writeInt(w, checkInt(schema.name, f, v ?? 0, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
        break;
      case "bool":
        writeBool(w, v === true);
        break;
      case "string":
        if (v !== undefined && v !== null && typeof v !== "string") {
          throw new EncodeError(`${schema.name}.${f.prop}: expected a string`);
        }
        writeString(w, (v as string | undefined) ?? "");
        break;
      default: {
        // Go writes a nil slice as nil; we never distinguish nil from empty (Go does not either).
        if (v === undefined || v === null || (v as Uint8Array).length === 0) writeNil(w);
        else if (v instanceof Uint8Array) writeRaw(w, v);
        else throw new EncodeError(`${schema.name}.${f.prop}: expected a Uint8Array`);
      }
    }
  }
}

function decodeField(r: MsgpackReader, f: CompiledField, o: Record<string, unknown>): void {
  switch (f.kind) {
    case "u8":
    case "u16":
    case "u32":
      o[f.prop] = r.readUint(uintMax[f.kind]!);
      return;
    case "int":
      o[f.prop] = r.readInt();
      return;
    case "bool":
      o[f.prop] = r.readBool();
      return;
    case "string":
      o[f.prop] = r.readString();
      return;
    case "bytes":
      o[f.prop] = r.readBytes() ?? emptyBytes.slice();
      return;
    case "nullableBytes":
      o[f.prop] = r.readBytes();
      return;
  }
}

function findField(r: MsgpackReader, fields: readonly CompiledField[]): CompiledField | undefined {
  const buf = r.buf;
  const start = r.rawStart;
  const len = r.rawEnd - start;
  for (const f of fields) {
    const key = f.keyBytes;
    if (key.length - 1 !== len) continue;
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
        field = findField(r, schema.declared);
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

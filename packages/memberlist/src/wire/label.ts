/**
 * Label headers (memberlist-wire.md §4.5, latest memberlist only): `[244][n 1..255][label]`, outermost on
 * every UDP packet and once at the start of each dialled stream. The label is also the GCM additional data.
 */
import { ConfigError, DecodeError } from "../errors.ts";
import { allocBytes, emptyBytes, utf8Decode, utf8Encode } from "./bytes.ts";
import { LabelMaxSize } from "./limits.ts";
import { MessageType } from "./messages.ts";

/** UTF-8 bytes of a label; ConfigError when longer than 255 bytes. */
export function labelBytes(label: string): Uint8Array {
  if (label === "") return emptyBytes;
  const b = utf8Encode(label);
  if (b.length > LabelMaxSize) throw new ConfigError(`label is ${b.length} bytes, more than ${LabelMaxSize}`);
  return b;
}

/** Bytes the label header adds to a packet: 0 without a label, else 2 + its length. */
export function labelOverhead(label: string): number {
  if (label === "") return 0;
  const n = labelBytes(label).length;
  return n === 0 ? 0 : 2 + n;
}

/** Prefixes the label header; returns `buf` itself when the label is "". */
export function addLabelHeader(buf: Uint8Array, label: string): Uint8Array {
  if (label === "") return buf;
  const b = labelBytes(label);
  if (b.length === 0) return buf;
  const out = allocBytes(2 + b.length + buf.length);
  out[0] = MessageType.HasLabel;
  out[1] = b.length;
  out.set(b, 2);
  out.set(buf, 2 + b.length);
  return out;
}

/**
 * Splits a packet into its label ("" when there is no header) and the rest (a view).
 * DecodeError for an empty packet, an empty label, or a truncated header.
 */
export function removeLabelHeader(buf: Uint8Array): { label: string; rest: Uint8Array } {
  if (buf.length === 0) throw new DecodeError("empty packet");
  if (buf[0] !== MessageType.HasLabel) return { label: "", rest: buf };
  if (buf.length < 2) throw new DecodeError("truncated label header");
  const n = buf[1]!;
  if (n === 0) throw new DecodeError("label header cannot be empty");
  if (buf.length < 2 + n) throw new DecodeError("truncated label");
  return { label: utf8Decode(buf, 2, 2 + n), rest: buf.subarray(2 + n) };
}

/** The header a dialler writes first on a stream; empty for label "". */
export function streamLabelHeader(label: string): Uint8Array {
  return addLabelHeader(new Uint8Array(0), label);
}

/**
 * Parses a stream's optional label header from the first bytes received. Returns `{label: "", consumed: 0}`
 * when the stream does not start with one, undefined when more bytes are needed to tell, and throws
 * DecodeError for an empty label.
 */
export function parseStreamLabelHeader(buf: Uint8Array): { label: string; consumed: number } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== MessageType.HasLabel) return { label: "", consumed: 0 };
  if (buf.length < 2) return undefined;
  const n = buf[1]!;
  if (n === 0) throw new DecodeError("label header cannot be empty");
  if (buf.length < 2 + n) return undefined;
  return { label: utf8Decode(buf, 2, 2 + n), consumed: 2 + n };
}

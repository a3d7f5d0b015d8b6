/** Small helpers shared by the wire tests. */
import assert from "node:assert/strict";
import { ShoalError } from "../../src/errors.ts";
import { MsgpackReader } from "../../src/wire/msgpack.ts";

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `fn`; it may succeed, but if it throws, the error must be a ShoalError (typed, with a code). */
export function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ShoalError)) {
      assert.fail(
        `expected a ShoalError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
    }
  }
}

/**
 * What a decoder made of some bytes: the value and where it stopped, or the error's name and message.
 * Two decoders that must agree on every input are compared through this.
 */
export function decodeOutcome(decode: (r: MsgpackReader) => unknown, bytes: Uint8Array): unknown {
  const r = new MsgpackReader(bytes);
  try {
    const value = decode(r);
    return { value, pos: r.pos };
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  }
}

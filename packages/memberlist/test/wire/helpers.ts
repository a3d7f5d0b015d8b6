/** Small helpers shared by the wire tests. */
import assert from "node:assert/strict";
import { ShoalError } from "../../src/errors.ts";

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

/**
 * A bound on JSON nesting, checked on the text before it is parsed: a body nested hundreds of
 * thousands of levels deep would otherwise overflow the stack when parsed or re-serialised.
 */

/**
 * Default deepest nesting of a publish body. Event payloads are documents, not recursion
 * tests; 64 levels is far past any real one and far below what the stack can take.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `maxDepth` nested arrays/objects (strings are skipped). */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/**
 * Channel patterns in token claims: `*` matches any run of characters, everything else is
 * literal. `"*"` alone grants every channel.
 */

/** Compiles a pattern once into a matcher. */
export function compilePattern(pattern: string): (channel: string) => boolean {
  if (pattern === "*") return () => true;
  if (!pattern.includes("*")) return (channel) => channel === pattern;
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const re = new RegExp(`^${source}$`);
  return (channel) => re.test(channel);
}

/** True when some pattern of `patterns` matches `channel`. */
export function matchesAny(patterns: readonly string[], channel: string): boolean {
  return patterns.some((p) => compilePattern(p)(channel));
}

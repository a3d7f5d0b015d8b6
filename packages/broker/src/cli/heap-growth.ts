/**
 * How far V8 lets the heap grow past what survived the last full collection before it collects
 * again. V8 picks up to 4× on any machine where the heap limit is 2 GB or more (Node's default on a
 * machine with 8 GB or more); a node holding a few hundred MB of history then lets the garbage of
 * big publishes (each body's text, each evicted event) reach gigabytes before it frees any:
 * `npm run bench:abuse -- channels` measured a peak of 1.2–1.7 GB with a 256 MiB history cap.
 * `shoal start` owns its process, so it sets the growth factor for it.
 */
import { setFlagsFromString } from "node:v8";

/**
 * Default growth, percent. With 10 %, the 1 MB-event flood peaks at roughly the history cap plus
 * the idle process plus 100 MB. The cost is more full collections while the heap grows, and they
 * are cheap when it is made of big strings. Small heaps are unaffected: V8 keeps its minimum step
 * between collections whatever the factor.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 10;

/** What {@link applyHeapGrowth} did. */
export type HeapGrowthOutcome = "set" | "v8-default" | "node-option";

/**
 * Sets V8's `--heap-growing-percent` to `percent` for this process, unless it is 0 (V8's own
 * dynamic factor) or the process was started with that V8 option already (`node
 * --heap-growing-percent=…` or in `NODE_OPTIONS`): an explicit Node option wins.
 */
export function applyHeapGrowth(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? "",
): HeapGrowthOutcome {
  if (percent === 0) return "v8-default";
  const named = (s: string) => /--heap[-_]growing[-_]percent/.test(s);
  if (execArgv.some(named) || named(nodeOptions)) return "node-option";
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return "set";
}

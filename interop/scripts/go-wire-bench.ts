/**
 * Prints Go memberlist 0.2.2's own encode/decode rates (ops/s) as JSON, for comparison with Shoal's.
 * Usage: node --import tsx interop/scripts/go-wire-bench.ts [durationMs per measurement, default 400]
 */
import { goWireBench } from "../lib/go.ts";

const durationMs = Number(process.argv[2] ?? 400);
const result = await goWireBench(durationMs);
if (result === null) {
  console.error("Go or Debian's memberlist 0.2.2 is not installed: no Go figures");
  process.exit(1);
}
console.log(JSON.stringify(result, null, 2));

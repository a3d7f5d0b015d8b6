/**
 * Small timing helpers for the benchmarks. They print figures; nothing here passes or fails on time.
 */

/** Operations per second of `fn`, run in growing batches until `durationMs` has passed. */
export function opsPerSec(durationMs: number, fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(durationMs * 1e6));
  for (;;) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    const elapsed = process.hrtime.bigint() - start;
    if (elapsed >= limit) return (n * 1e9) / Number(elapsed);
    if (batch < 1024) batch *= 2;
  }
}

/** Formats a rate as e.g. "1,234,567". */
export function formatRate(x: number | undefined): string {
  return x === undefined ? "—" : Math.round(x).toLocaleString("en-US");
}

/** Formats a Shoal/Go ratio, or "—" without a Go figure. */
export function formatRatio(shoal: number, go: number | undefined): string {
  return go === undefined || go === 0 ? "—" : (shoal / go).toFixed(2);
}

/** Prints rows as an aligned plain-text table. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

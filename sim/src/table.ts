/** Plain-text and markdown tables for the CLI and the report. */

export type Cell = string | number;

/** Formats a number of ms as seconds with two decimals; Infinity as "never". */
export function secs(ms: number): string {
  if (!Number.isFinite(ms)) return Number.isNaN(ms) ? "-" : "never";
  return (ms / 1000).toFixed(2);
}

/** A number with at most `digits` decimals. */
export function num(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

function cellText(c: Cell): string {
  return typeof c === "number" ? String(c) : c;
}

/** A fixed-width text table; numbers right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const all = [header, ...rows.map((r) => r.map(cellText))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padStart(widths[i]!)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const out = [`| ${header.join(" | ")} |`, `|${header.map(() => "---:").join("|")}|`];
  for (const r of rows) out.push(`| ${r.map(cellText).join(" | ")} |`);
  return out.join("\n");
}

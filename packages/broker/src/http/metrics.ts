/** `/metrics` in the Prometheus text exposition format (version 0.0.4). */

export interface MetricSample {
  name: string;
  help: string;
  type: "counter" | "gauge";
  /** One value, or labelled values. */
  value: number | { labels: Record<string, string>; value: number }[];
}

/** Renders samples; label values are escaped as the format requires. */
export function renderMetrics(samples: MetricSample[]): string {
  let out = "";
  for (const s of samples) {
    out += `# HELP ${s.name} ${s.help}\n# TYPE ${s.name} ${s.type}\n`;
    if (typeof s.value === "number") {
      out += `${s.name} ${formatNumber(s.value)}\n`;
      continue;
    }
    for (const { labels, value } of s.value) {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`)
        .join(",");
      out += `${s.name}{${text}} ${formatNumber(value)}\n`;
    }
  }
  return out;
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : "NaN";
}

/**
 * Small, dependency-free SVG charts for the reports: line charts (optionally log-x) and grouped
 * bar charts. Output is deterministic text, so a report diff shows real changes only.
 */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  /** Where the legend goes; "bottom-right" suits rising curves. Default "top-left". */
  legend?: "top-left" | "bottom-right";
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  groups: readonly string[];
  series: readonly { name: string; values: readonly number[] }[];
  width?: number;
  height?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 10000) return `${Math.round(x / 1000)}k`;
  if (a >= 100) return String(Math.round(x));
  if (a >= 1) return String(Math.round(x * 100) / 100);
  return String(Math.round(x * 1000) / 1000);
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function legend(names: readonly string[], dashed: readonly boolean[], x: number, y: number): string[] {
  return names.flatMap((name, i) => {
    const yy = y + i * 16;
    const color = PALETTE[i % PALETTE.length]!;
    const dash = dashed[i] === true ? ' stroke-dasharray="5,3"' : "";
    return [
      `<line x1="${x}" y1="${yy}" x2="${x + 18}" y2="${yy}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${x + 22}" y="${yy + 4}">${esc(name)}</text>`,
    ];
  });
}

/** A line chart; non-finite points are skipped. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const pts = o.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const tx = (x: number) => (o.logX === true ? Math.log10(x) : x);
  const xs = pts.map(([x]) => tx(x));
  const ys = pts.map(([, y]) => y);
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (!(x1 > x0)) x1 = x0 + 1;
  const y0 = o.yMin ?? Math.min(0, ...ys);
  let y1 = o.yMax ?? Math.max(...ys);
  if (!(y1 > y0)) y1 = y0 + 1;
  if (!Number.isFinite(x0)) x0 = 0;
  const sx = (x: number) => MARGIN.left + ((tx(x) - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => MARGIN.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const body: string[] = [];
  const yTicks = niceTicks(y0, y1);
  for (const t of yTicks) {
    body.push(
      `<line x1="${MARGIN.left}" y1="${sy(t).toFixed(1)}" x2="${MARGIN.left + pw}" y2="${sy(t).toFixed(1)}" stroke="#e0e0e0"/>`,
    );
    body.push(
      `<text x="${MARGIN.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  const xTicks =
    o.logX === true
      ? niceTicks(x0, x1)
          .map((e) => 10 ** e)
          .filter((v) => Number.isInteger(Math.log10(v)))
      : niceTicks(x0, x1);
  const xTickValues =
    o.logX === true ? [...new Set([...xTicks, ...pts.map(([x]) => x)])].sort((a, b) => a - b) : xTicks;
  for (const t of xTickValues) {
    const x = sx(t);
    if (x < MARGIN.left - 1 || x > MARGIN.left + pw + 1) continue;
    body.push(
      `<line x1="${x.toFixed(1)}" y1="${MARGIN.top + ph}" x2="${x.toFixed(1)}" y2="${MARGIN.top + ph + 4}" stroke="#333"/>`,
    );
    body.push(`<text x="${x.toFixed(1)}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  body.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  body.push(
    `<text x="${MARGIN.left + pw / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
  );
  body.push(
    `<text x="14" y="${MARGIN.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + ph / 2})">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (good.length === 0) return;
    const d = good
      .map(
        ([x, y], k) =>
          `${k === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(Math.min(y1, Math.max(y0, y))).toFixed(1)}`,
      )
      .join(" ");
    const dash = s.dashed === true ? ' stroke-dasharray="5,3"' : "";
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (good.length <= 12) {
      for (const [x, y] of good)
        body.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
  });
  const names = o.series.map((s) => s.name);
  const bottomRight = o.legend === "bottom-right";
  const lx = bottomRight ? MARGIN.left + pw - 230 : MARGIN.left + 10;
  const ly = bottomRight ? MARGIN.top + ph - 16 * names.length : MARGIN.top + 14;
  body.push(
    ...legend(
      names,
      o.series.map((s) => s.dashed === true),
      lx,
      ly,
    ),
  );
  return frame(width, height, o.title, body);
}

/** A grouped bar chart; non-finite values are drawn as a hatched "never" marker. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const vals = o.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  // Headroom above the tallest bar for the legend.
  const y1 = Math.max(1e-9, ...vals) * (1.2 + 0.1 * o.series.length);
  const sy = (y: number) => MARGIN.top + ph - (y / y1) * ph;
  const body: string[] = [];
  for (const t of niceTicks(0, y1)) {
    body.push(
      `<line x1="${MARGIN.left}" y1="${sy(t).toFixed(1)}" x2="${MARGIN.left + pw}" y2="${sy(t).toFixed(1)}" stroke="#e0e0e0"/>`,
    );
    body.push(
      `<text x="${MARGIN.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  const gw = pw / Math.max(1, o.groups.length);
  const bw = (gw * 0.8) / Math.max(1, o.series.length);
  o.groups.forEach((g, gi) => {
    const gx = MARGIN.left + gi * gw;
    body.push(
      `<text x="${(gx + gw / 2).toFixed(1)}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${esc(g)}</text>`,
    );
    o.series.forEach((s, si) => {
      const v = s.values[gi];
      const x = gx + gw * 0.1 + si * bw;
      const color = PALETTE[si % PALETTE.length]!;
      if (v === undefined) return;
      if (!Number.isFinite(v)) {
        body.push(
          `<text x="${(x + bw / 2).toFixed(1)}" y="${MARGIN.top + ph - 4}" text-anchor="middle" fill="${color}">∞</text>`,
        );
        return;
      }
      body.push(
        `<rect x="${x.toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(bw * 0.9).toFixed(1)}" height="${(MARGIN.top + ph - sy(v)).toFixed(1)}" fill="${color}"/>`,
      );
    });
  });
  body.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  body.push(
    `<text x="14" y="${MARGIN.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + ph / 2})">${esc(o.yLabel)}</text>`,
  );
  body.push(
    ...legend(
      o.series.map((s) => s.name),
      [],
      MARGIN.left + 10,
      MARGIN.top + 14,
    ),
  );
  return frame(width, height, o.title, body);
}

/**
 * Structured logs on stderr (or a given sink): one JSON object per line, or a human-readable
 * line (`--log.format text`, the default on a terminal). No per-event lines: the hot path never logs.
 */
import type { Logger } from "@shoal/memberlist";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** `json`: one JSON object per line (for log shippers); `text`: `time LEVEL msg key=value …`. */
export type LogFormat = "json" | "text";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Shoal's one Logger type (memberlist's), so the broker's logger also serves its memberlist. */
export type { Logger };

/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

/** True when `value` names a log format. */
export function isLogFormat(value: string): value is LogFormat {
  return value === "json" || value === "text";
}

/** A logger; `base` fields (e.g. the node name) go on every line. */
export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  sink: (line: string) => void = (line) => process.stderr.write(line),
  format: LogFormat = "json",
): Logger {
  const min = RANK[level];
  const render = format === "json" ? jsonLine : textLine;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    sink(render(new Date().toISOString(), lvl, msg, { ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

function jsonLine(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  return `${JSON.stringify({ time, level, msg, ...fields })}\n`;
}

/** `2026-01-02T03:04:05.678Z INFO  node started node=a httpPort=8080` (values with spaces quoted). */
function textLine(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg.replace(/[\r\n]+/g, " ")}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${textValue(value)}`;
  }
  return `${line}\n`;
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** A logger that drops everything. */
export { silentLogger } from "@shoal/memberlist";

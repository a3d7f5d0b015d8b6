/**
 * Structured logs: one JSON object per line on stderr (or a given sink). No per-event lines:
 * the hot path never logs.
 */
import type { Logger } from "@shoal/memberlist";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Shoal's one Logger type (memberlist's), so the broker's logger also serves its memberlist. */
export type { Logger };

/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

/** A JSON-lines logger; `base` fields (e.g. the node name) go on every line. */
export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  sink: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    sink(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields })}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** A logger that drops everything. */
export { silentLogger } from "@shoal/memberlist";

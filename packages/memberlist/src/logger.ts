/**
 * Loggers: memberlist logs to stderr by default (warnings and errors only, as one JSON line each).
 */
import type { Logger } from "./types.ts";

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof levels;

/** A logger that writes JSON lines at or above `level` to stderr, tagged with the node name. */
export function stderrLogger(node: string, level: LogLevel = "warn"): Logger {
  const min = levels[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levels[lvl] < min) return;
    process.stderr.write(
      `${JSON.stringify({ level: lvl, component: "memberlist", node, msg, ...fields })}\n`,
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

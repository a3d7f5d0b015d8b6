/**
 * The one Logger type of Shoal (the engine, the transports and the broker all write through it), and
 * the two stock loggers. Memberlist logs to stderr by default (warnings and errors only, as one JSON
 * line each). `console` satisfies the type.
 */

/** Where diagnostics go. `fields` are structured context (node names, addresses, counts). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

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

/** A logger that drops everything: the default of the transports, and for tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

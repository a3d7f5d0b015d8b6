/**
 * The few log lines a transport writes. `console` satisfies it; the default is silent so that tests and
 * embedders choose where operator messages go.
 */
export interface TransportLogger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: TransportLogger = {
  debug() {},
  warn() {},
  error() {},
};

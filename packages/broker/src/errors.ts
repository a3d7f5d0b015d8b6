/**
 * Typed errors of the broker. Every error it throws on purpose carries a stable `code`;
 * request errors also carry the HTTP status they map to.
 */

/** Base class of every error thrown by `@shoal/broker`. */
export class BrokerError extends Error {
  /** A stable, machine-readable code such as `ERR_BAD_REQUEST`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The broker or CLI configuration is invalid. */
export class BrokerConfigError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG", message, options);
  }
}

/** A client request was rejected; `status` is the 4xx/5xx code sent back with a JSON body. */
export class RequestError extends BrokerError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** A replication link failed: bad frame, failed authentication, or protocol violation. */
export class ReplicationError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_REPLICATION", message, options);
  }
}

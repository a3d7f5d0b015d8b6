/**
 * Typed errors. Every error Shoal throws on purpose is a {@link ShoalError} with a stable `code`,
 * so callers can branch on `err.code` instead of parsing messages.
 */

/** Base class of every error thrown by `@shoal/memberlist`. */
export class ShoalError extends Error {
  /** A stable, machine-readable code such as `ERR_DECODE`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bytes from the network could not be decoded: malformed, truncated, or past a limit. */
export class DecodeError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }, code = "ERR_DECODE") {
    super(code, message, options);
  }
}

/**
 * Input went past a size bound (decompressed bytes, bytes buffered for unfinished frames). It was
 * refused as soon as the bound was reached, before it cost more; nothing was changed. A DecodeError
 * with its own code, `ERR_LIMIT`.
 */
export class LimitError extends DecodeError {
  /** The bound that was reached, in bytes. */
  readonly limit: number;
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, options, "ERR_LIMIT");
    this.limit = limit;
  }
}

/** A message failed authentication or decryption, or broke a security rule (label, encryption policy). */
export class SecurityError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_SECURITY", message, options);
  }
}

/** A value could not be encoded (too large, out of range). */
export class EncodeError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_ENCODE", message, options);
  }
}

/** The configuration is invalid; thrown by `Memberlist.create` and key management. */
export class ConfigError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG", message, options);
  }
}

/** A network operation failed (dial, write, timeout, remote error). */
export class NetworkError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_NETWORK", message, options);
  }
}

/** An operation did not complete in time. */
export class TimeoutError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TIMEOUT", message, options);
  }
}

/** The instance was shut down (or has left) and can no longer do what was asked. */
export class ShutdownError extends ShoalError {
  constructor(message = "memberlist has been shut down") {
    super("ERR_SHUTDOWN", message);
  }
}

/** A ping received no ack in time (Go's NoPingResponseError). */
export class NoPingResponseError extends ShoalError {
  readonly node: string;
  constructor(node: string) {
    super("ERR_NO_PING_RESPONSE", `no response from node ${node}`);
    this.node = node;
  }
}

/**
 * Stable error codes. Callers branch on `error.code` (or `instanceof`), never on message text.
 */
export const ErrorCode = {
  CONFIGURATION: 'MQKIT_CONFIGURATION',
  VALIDATION: 'MQKIT_VALIDATION',
  SERIALIZATION: 'MQKIT_SERIALIZATION',
  MESSAGE_TOO_LARGE: 'MQKIT_MESSAGE_TOO_LARGE',
  UNSUPPORTED_FEATURE: 'MQKIT_UNSUPPORTED_FEATURE',
  NON_RETRYABLE: 'MQKIT_NON_RETRYABLE',
  HANDLER_TIMEOUT: 'MQKIT_HANDLER_TIMEOUT',
  LEASE_LOST: 'MQKIT_LEASE_LOST',
  SHUTDOWN: 'MQKIT_SHUTDOWN',
  CLOSED: 'MQKIT_CLOSED',
  BACKEND: 'MQKIT_BACKEND',
  NOT_FOUND: 'MQKIT_NOT_FOUND',
} as const;

/** One of the stable `code` strings carried by every {@link MqkitError}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error mqkit throws. `code` is stable across releases;
 * `cause` carries the underlying error when there is one.
 */
export class MqkitError extends Error {
  /** Stable machine-readable code, e.g. `MQKIT_CONFIGURATION`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An option is missing, of the wrong type or out of range. Thrown at construction
 * (factory or `consume()`), before any I/O. `field` names the offending option.
 */
export class ConfigurationError extends MqkitError {
  /** Dotted path of the offending option, e.g. `retry.backoff.factor`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CONFIGURATION, message, options);
    this.field = field;
  }
}

/**
 * A published message or queue name is invalid (missing `type`, bad queue name, …).
 * Thrown by `publish()` before any I/O; nothing of the batch is published.
 */
export class ValidationError extends MqkitError {
  /** Index of the offending message within the published batch, when relevant. */
  readonly index: number | undefined;

  constructor(message: string, options?: { index?: number; cause?: unknown }) {
    super(ErrorCode.VALIDATION, message, options);
    this.index = options?.index;
  }
}

/**
 * A payload cannot be serialised (circular reference, BigInt, function, symbol, …).
 * `path` names where, e.g. `payload.items[2].owner`. Nothing of the batch is published.
 */
export class SerializationError extends MqkitError {
  /** Path of the offending value inside the message. */
  readonly path: string;
  /** Index of the offending message within the published batch. */
  readonly index: number | undefined;

  constructor(path: string, message: string, options?: { index?: number; cause?: unknown }) {
    super(ErrorCode.SERIALIZATION, message, options);
    this.path = path;
    this.index = options?.index;
  }
}

/** A serialised message exceeds the provider's size limit. Nothing of the batch is published. */
export class MessageTooLargeError extends MqkitError {
  /** Serialised size of the message in bytes. */
  readonly size: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  /** Index of the offending message within the published batch. */
  readonly index: number | undefined;

  constructor(size: number, limit: number, message: string, options?: { index?: number }) {
    super(ErrorCode.MESSAGE_TOO_LARGE, message);
    this.size = size;
    this.limit = limit;
    this.index = options?.index;
  }
}

/** A feature was asked of a provider whose `capabilities` do not include it. */
export class UnsupportedFeatureError extends MqkitError {
  /** The capability that was asked for, e.g. `priority`. */
  readonly feature: string;

  constructor(feature: string, provider: string) {
    super(
      ErrorCode.UNSUPPORTED_FEATURE,
      `[@mqkit/${provider}] does not support "${feature}"; check queue.capabilities.${feature} before using it`,
    );
    this.feature = feature;
  }
}

/**
 * Throw (or return in `failed`) from a handler to skip the remaining attempts:
 * the message is dead-lettered at once with this error.
 */
export class NonRetryableError extends MqkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NON_RETRYABLE, message, options);
  }
}

/** The handler ran longer than `handlerTimeoutMs`; its `ctx.signal` was aborted with this reason. */
export class HandlerTimeoutError extends MqkitError {
  constructor(timeoutMs: number) {
    super(
      ErrorCode.HANDLER_TIMEOUT,
      `handler did not settle within handlerTimeoutMs (${timeoutMs} ms)`,
    );
  }
}

/** The consumer lost the lease of a message while its handler ran (another consumer may own it now). */
export class LeaseLostError extends MqkitError {
  constructor(message = 'lease lost: the message may be redelivered to another consumer') {
    super(ErrorCode.LEASE_LOST, message);
  }
}

/** The consumer is stopping; `ctx.signal` is aborted with this reason. */
export class ShutdownError extends MqkitError {
  constructor() {
    super(ErrorCode.SHUTDOWN, 'consumer is stopping');
  }
}

/** The queue was closed; publish/consume are no longer accepted. */
export class QueueClosedError extends MqkitError {
  constructor(provider: string) {
    super(ErrorCode.CLOSED, `[@mqkit/${provider}] queue is closed`);
  }
}

/** The backing service failed (connection refused, query error, …); `cause` holds the driver's error. */
export class BackendError extends MqkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BACKEND, message, options);
  }
}

/**
 * An operator action (the `mqkit` CLI, the dashboard) named something the backend does not
 * hold: a queue without messages or dead letters, a dead letter id, a stream or a shard. `kind`
 * says which, `name` what was asked for.
 */
export class NotFoundError extends MqkitError {
  /** What was not found: `queue`, `dead letter`, `stream`, `shard`. */
  readonly kind: string;
  /** The name or id that was asked for. */
  readonly target: string;

  constructor(kind: string, target: string, message: string) {
    super(ErrorCode.NOT_FOUND, message);
    this.kind = kind;
    this.target = target;
  }
}

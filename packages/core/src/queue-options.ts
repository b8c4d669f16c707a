import { randomUUID } from 'node:crypto';
import {
  createLifecycleDispatcher,
  type LifecycleDispatcher,
  type LifecycleErrorHook,
  type LifecycleProvider,
} from './lifecycle.js';
import { createDefaultLogger, type Logger } from './logger.js';
import { assertNamespace } from './names.js';
import { Checker } from './options.js';
import { jsonSerializer, type Serializer } from './serializer.js';

/** Options every provider factory accepts, next to its own. */
export interface QueueOptions {
  /** Prefix of every queue, key and stream the provider touches (e.g. the environment). */
  namespace?: string;
  /** Any pino-compatible logger. Default: pino at `warn` (`MQKIT_LOG_LEVEL` overrides). */
  logger?: Logger;
  /** Include payloads in debug logs. Default false: logs never contain payloads. */
  logPayloads?: boolean;
  /** One or more lifecycle providers (metrics, tracing). */
  lifecycle?: LifecycleProvider | readonly LifecycleProvider[];
  /** Called when a lifecycle provider throws or rejects (it is also logged at `warn`). */
  onLifecycleError?: LifecycleErrorHook;
  /** Payload serializer. Default JSON. */
  serializer?: Serializer;
  /** Largest serialised message accepted by `publish`. Default 262 144 bytes (256 KiB) on every provider, so a swap never turns an accepted message into an error. */
  maxMessageBytes?: number;
  /** Generates message ids when `publish` is given none. Default `crypto.randomUUID`. */
  generateId?: () => string;
}

/** {@link QueueOptions} resolved: defaults filled in, lifecycle ready to emit. */
export interface ResolvedQueueOptions {
  readonly namespace: string | undefined;
  readonly logger: Logger;
  readonly logPayloads: boolean;
  readonly lifecycle: LifecycleDispatcher;
  readonly serializer: Serializer;
  readonly maxMessageBytes: number;
  readonly generateId: () => string;
}

/** Keys of {@link QueueOptions}; providers add their own to reject unknown keys. */
export const QUEUE_OPTION_KEYS = [
  'namespace',
  'logger',
  'logPayloads',
  'lifecycle',
  'onLifecycleError',
  'serializer',
  'maxMessageBytes',
  'generateId',
] as const;

/** Default of `maxMessageBytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/**
 * Validates the common options (and rejects keys that are neither common nor in `providerKeys`),
 * filling in defaults. Throws {@link ConfigurationError} naming the field.
 */
export function resolveQueueOptions(
  options: QueueOptions | undefined,
  provider: string,
  providerKeys: readonly string[],
): ResolvedQueueOptions {
  const o = (options ?? {}) as Record<string, unknown>;
  const check: Checker = new Checker(provider);
  check.plainObject(o, 'options');
  check.knownKeys(o, [...QUEUE_OPTION_KEYS, ...providerKeys], '');
  assertNamespace(o.namespace, provider);
  const logger = (o.logger as Logger | undefined) ?? createDefaultLogger();
  for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
    if (typeof Reflect.get(logger, level) !== 'function') {
      throw check.error('logger', `must be a pino-compatible logger with a "${level}" method`);
    }
  }
  const serializer = (o.serializer as Serializer | undefined) ?? jsonSerializer;
  if (typeof serializer.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw check.error('serializer', 'must have serialize() and deserialize() methods');
  }
  if (o.generateId !== undefined && typeof o.generateId !== 'function')
    throw check.error('generateId', 'must be a function returning a string');
  if (o.onLifecycleError !== undefined && typeof o.onLifecycleError !== 'function')
    throw check.error('onLifecycleError', 'must be a function');
  const providers =
    o.lifecycle === undefined ? [] : Array.isArray(o.lifecycle) ? o.lifecycle : [o.lifecycle];
  for (const p of providers as LifecycleProvider[]) {
    if (typeof p !== 'object' || p === null || typeof p.onEvent !== 'function')
      throw check.error(
        'lifecycle',
        'must be a LifecycleProvider ({ name, onEvent }) or an array of them',
      );
  }
  return {
    namespace: o.namespace as string | undefined,
    logger,
    logPayloads: check.boolean(o.logPayloads, 'logPayloads', false),
    lifecycle: createLifecycleDispatcher(
      providers as LifecycleProvider[],
      logger,
      o.onLifecycleError as LifecycleErrorHook | undefined,
    ),
    serializer,
    maxMessageBytes: check.int(
      o.maxMessageBytes,
      'maxMessageBytes',
      1,
      1_073_741_824,
      DEFAULT_MAX_MESSAGE_BYTES,
    ),
    generateId: (o.generateId as (() => string) | undefined) ?? randomUUID,
  };
}

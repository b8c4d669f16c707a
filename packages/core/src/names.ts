import { ConfigurationError, ValidationError } from './errors.js';

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Throws {@link ValidationError} unless `queue` is 1–128 characters of `A–Z a–z 0–9 _ . -`
 * (a set every backend accepts as a table value, collection value, key or stream name).
 */
export function assertQueueName(queue: unknown, provider: string): asserts queue is string {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    const got =
      typeof queue === 'string'
        ? JSON.stringify(queue.length > 60 ? `${queue.slice(0, 60)}…` : queue)
        : typeof queue;
    throw new ValidationError(
      `[@mqkit/${provider}] invalid queue name ${got}: use 1–128 characters from A–Z, a–z, 0–9, "_", "." and "-"`,
    );
  }
}

/** Validates the `namespace` option (1–64 characters of `A–Z a–z 0–9 _ -`). */
export function assertNamespace(
  namespace: unknown,
  provider: string,
): asserts namespace is string | undefined {
  if (namespace === undefined) return;
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new ConfigurationError(
      'namespace',
      `[@mqkit/${provider}] option "namespace" must be 1–64 characters from A–Z, a–z, 0–9, "_" and "-" (got ${typeof namespace === 'string' ? JSON.stringify(namespace) : typeof namespace})`,
    );
  }
}

/**
 * The name a provider stores: `namespace:queue`, or `queue` without a namespace. `:` is in
 * neither alphabet, so no namespaced name can equal another queue's name (`prod` + `orders` is
 * `prod:orders`, which no un-namespaced queue can be called).
 */
export function qualifyQueueName(namespace: string | undefined, queue: string): string {
  return namespace === undefined ? queue : `${namespace}:${queue}`;
}

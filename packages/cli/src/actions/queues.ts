import {
  BackendError,
  type Message,
  type MessageQueue,
  NotFoundError,
  type QueueStats,
  UnsupportedFeatureError,
} from '@mqkit/core';

/**
 * The queues an operator can name: `queue.queues()`. Throws {@link UnsupportedFeatureError}
 * when the provider cannot list them.
 */
export async function listQueues(queue: MessageQueue): Promise<string[]> {
  if (queue.queues === undefined) {
    throw new UnsupportedFeatureError('queues', queue.provider);
  }
  return queue.queues();
}

/**
 * Throws {@link NotFoundError} when `name` holds neither messages nor dead letters (a typo
 * reads as an empty queue otherwise). A provider that cannot list queues accepts any name.
 */
export async function assertKnownQueue(queue: MessageQueue, name: string): Promise<void> {
  if (queue.queues === undefined) return;
  const known = await queue.queues();
  if (known.includes(name)) return;
  const hint =
    known.length > 0
      ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})`
      : '';
  throw new NotFoundError(
    'queue',
    name,
    `unknown queue "${name}": it holds no messages or dead letters${hint}`,
  );
}

/**
 * The `stats()` of each named queue, or of every queue `queue.queues()` lists when `names` is
 * empty; in the order given (listed queues sorted by name).
 */
export async function queueOverview(
  queue: MessageQueue,
  names: readonly string[] = [],
): Promise<QueueStats[]> {
  const list = names.length > 0 ? [...names] : await listQueues(queue);
  return Promise.all(list.map((name) => queue.stats(name)));
}

/**
 * The next due messages of `name` without claiming them (`queue.peek()`), after checking the
 * queue exists (on Kinesis: that its stream does; else {@link NotFoundError}). Payloads are
 * dropped unless `payloads` (they may hold personal data).
 */
export async function peekQueue(
  queue: MessageQueue,
  name: string,
  options: { limit?: number; payloads?: boolean } = {},
): Promise<Message[]> {
  if (queue.peek === undefined) {
    throw new UnsupportedFeatureError('peek', queue.provider);
  }
  await assertKnownQueue(queue, name);
  const messages = await queue.peek(name, { limit: options.limit }).catch((error: unknown) => {
    throw isMissingStream(error)
      ? new NotFoundError(
          'queue',
          name,
          `unknown queue "${name}": its Kinesis stream does not exist`,
        )
      : error;
  });
  return options.payloads ? messages : messages.map(withoutPayload);
}

/** A Kinesis read refused because the queue's stream does not exist (Kinesis cannot list queues). */
function isMissingStream(error: unknown): boolean {
  if (!(error instanceof BackendError)) return false;
  const cause = error.cause as { name?: unknown } | undefined;
  return cause?.name === 'ResourceNotFoundException';
}

/** A message with its payload removed (shown only when the operator asks). */
export function withoutPayload<T extends { payload: unknown }>(message: T): T {
  const { payload: _payload, ...rest } = message;
  return rest as T;
}

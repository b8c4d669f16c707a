import { type DeadLetter, type MessageQueue, NotFoundError } from '@mqkit/core';
import { type OperatorFilter, toDeadLetterFilter } from './filters.js';
import { assertKnownQueue, withoutPayload } from './queues.js';

/** Options of {@link listDeadLetters}. */
export interface ListOptions {
  readonly filter?: OperatorFilter;
  /** Page size, 1–10 000. Default 100. */
  readonly limit?: number;
  /** Entries to skip. Default 0. */
  readonly offset?: number;
  /** Include payloads. Default false. */
  readonly payloads?: boolean;
}

const hidePayload = (d: DeadLetter, payloads: boolean | undefined): DeadLetter =>
  payloads ? d : { ...d, message: withoutPayload(d.message) };

/** Dead letters of `name` matching the filter, oldest first, one page. */
export async function listDeadLetters(
  queue: MessageQueue,
  name: string,
  options: ListOptions = {},
): Promise<DeadLetter[]> {
  await assertKnownQueue(queue, name);
  const list = await queue.deadLetters.list(name, {
    ...toDeadLetterFilter(options.filter ?? {}),
    limit: options.limit,
    offset: options.offset,
  });
  return list.map((d) => hidePayload(d, options.payloads));
}

/** One dead letter (message, last error, attempts). Throws {@link NotFoundError} when absent. */
export async function inspectDeadLetter(
  queue: MessageQueue,
  name: string,
  id: string,
  options: { payloads?: boolean } = {},
): Promise<DeadLetter> {
  await assertKnownQueue(queue, name);
  const found = await queue.deadLetters.inspect(name, id);
  if (found === undefined) {
    throw new NotFoundError('dead letter', id, `no dead letter "${id}" in queue "${name}"`);
  }
  return hidePayload(found, options.payloads);
}

/**
 * How many dead letters of `name` a replay or purge with this filter would touch (counted
 * through the same filter, so the confirmation shows the real number). Capped at `cap`.
 */
export async function countMatching(
  queue: MessageQueue,
  name: string,
  filter: OperatorFilter,
  cap = 10_000,
): Promise<number> {
  await assertKnownQueue(queue, name);
  const list = await queue.deadLetters.list(name, { ...toDeadLetterFilter(filter), limit: cap });
  return list.length;
}

/** Moves matching dead letters back onto the live queue (attempts reset); resolves to how many. */
export async function replayDeadLetters(
  queue: MessageQueue,
  name: string,
  filter: OperatorFilter = {},
): Promise<number> {
  await assertKnownQueue(queue, name);
  return queue.deadLetters.replay(name, toDeadLetterFilter(filter));
}

/** Deletes matching dead letters; resolves to how many. */
export async function purgeDeadLetters(
  queue: MessageQueue,
  name: string,
  filter: OperatorFilter = {},
): Promise<number> {
  await assertKnownQueue(queue, name);
  return queue.deadLetters.purge(name, toDeadLetterFilter(filter));
}

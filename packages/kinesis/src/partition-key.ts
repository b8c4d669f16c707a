import { randomUUID } from 'node:crypto';
import { ValidationError } from '@mqkit/core';

/** What a partition-key strategy sees of a message. */
export interface PartitionKeyInput {
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
}

/**
 * How a record's Kinesis partition key is chosen when `publish` gives no `partitionKey`:
 * - `'id'` (default): the message id — an even spread over shards, no ordering between messages;
 * - `'type'`: the message type — every message of a type on ONE shard (a hot shard: the old
 *   library's default, which capped each type at one shard's 1 MB/s);
 * - `'random'`: a random key per record;
 * - `{ field: 'customer.id' }`: a payload field (dotted path); messages without it fall back to the id;
 * - a function of the message.
 */
export type PartitionKeyStrategy =
  | 'id'
  | 'type'
  | 'random'
  | { readonly field: string }
  | ((message: PartitionKeyInput) => string);

/** Kinesis partition keys are 1–256 Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** The partition key of one record: the explicit key, else the strategy's, clipped to 256 characters. */
export function partitionKeyOf(
  explicit: string | undefined,
  message: PartitionKeyInput,
  strategy: PartitionKeyStrategy,
): string {
  if (explicit !== undefined) return explicit;
  let key: string;
  if (typeof strategy === 'function') key = strategy(message);
  else if (strategy === 'id') key = message.id;
  else if (strategy === 'type') key = message.type;
  else if (strategy === 'random') key = randomUUID();
  else key = fieldValue(message.payload, strategy.field) ?? message.id;
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError(
      `[@mqkit/kinesis] the "partitionKey" function returned ${typeof key === 'string' ? 'an empty string' : typeof key} for message "${message.id}"; it must return a non-empty string; nothing was published`,
    );
  }
  return key.length > MAX_PARTITION_KEY_LENGTH ? key.slice(0, MAX_PARTITION_KEY_LENGTH) : key;
}

function fieldValue(payload: unknown, path: string): string | undefined {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

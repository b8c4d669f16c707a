import {
  type DeadLetter,
  type DeadLetterStore,
  type ErrorInfo,
  type Headers,
  type Message,
  type Serializer,
  ValidationError,
} from '@mqkit/core';
import { resolveDeadLetterFilter, selectDeadLetters } from '@mqkit/core/provider';
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../names.js';
import { runScript } from '../redis/scripts.js';
import { addDeadLetterScript as addScript } from './scripts/index.js';

/** One dead letter as stored in Redis (JSON). */
export interface StoredDeadLetter {
  readonly id: string;
  readonly type: string;
  /** Serialised payload; for a poison record the raw record data, base64. */
  readonly body: string;
  readonly poison?: true;
  readonly headers: Headers;
  readonly createdAt: number;
  /** Partition key given at publish. */
  readonly partitionKey?: string;
  /** The record's Kinesis partition key: replay puts it back with this key. */
  readonly recordPartitionKey: string;
  readonly maxAttempts: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly error: ErrorInfo;
  readonly attempts: number;
  readonly deadLetteredAt: number;
  readonly reason: string;
}

/** Writes dead letters (the consumer) and serves `queue.deadLetters` (everyone). */
export interface KinesisDeadLetters {
  add(keys: QueueKeys, entry: StoredDeadLetter): Promise<void>;
  readonly store: DeadLetterStore;
}

/** What the store needs from the queue it belongs to. */
export interface DeadLetterContext {
  readonly redis: () => Redis;
  readonly keysOf: (queue: string) => QueueKeys;
  readonly serializer: Serializer;
  readonly maxEntries: number;
  /** Puts replayed records back on the queue's stream (same id, partition key, attempts reset). */
  readonly replay: (queue: string, entries: readonly StoredDeadLetter[]) => Promise<void>;
  /** Validates the queue name (and that the queue is open). */
  readonly assertQueue: (queue: string) => void;
}

/** Turns a stored entry into the public {@link DeadLetter}. */
export function toDeadLetter(
  queue: string,
  entry: StoredDeadLetter,
  serializer: Serializer,
): DeadLetter {
  let payload: unknown;
  if (entry.poison) payload = Buffer.from(entry.body, 'base64').toString('utf8');
  else {
    try {
      payload = serializer.deserialize(entry.body);
    } catch {
      payload = entry.body;
    }
  }
  const createdAt = new Date(entry.createdAt);
  const message: Message = {
    id: entry.id,
    queue,
    type: entry.type,
    payload,
    attempt: entry.attempts,
    maxAttempts: entry.maxAttempts,
    createdAt,
    runAt: createdAt,
    partitionKey: entry.partitionKey,
    priority: 0,
    headers: entry.headers,
    meta: {
      shardId: entry.shardId,
      sequenceNumber: entry.sequenceNumber,
      recordPartitionKey: entry.recordPartitionKey,
      reason: entry.reason,
      ...(entry.poison ? { poison: true } : {}),
    },
  };
  return {
    message,
    error: entry.error,
    attempts: entry.attempts,
    deadLetteredAt: new Date(entry.deadLetteredAt),
  };
}

/**
 * Dead letters in Redis: per queue a sorted set (ids by time) and a hash (entries), bounded by
 * `maxEntries` (the oldest are evicted). Durable only as far as the Redis persistence
 * (AOF `appendfsync everysec` or better); forward them to a durable queue with `forwardTo`.
 */
export function createRedisDeadLetters(ctx: DeadLetterContext): KinesisDeadLetters {
  const all = async (
    queue: string,
  ): Promise<{ entry: StoredDeadLetter; deadLetter: DeadLetter }[]> => {
    const keys = ctx.keysOf(queue);
    const redis = ctx.redis();
    const ids = await redis.zrange(keys.deadLetterIndex, '0', '-1');
    if (ids.length === 0) return [];
    const values = await redis.hmget(keys.deadLetterData, ...ids);
    const out: { entry: StoredDeadLetter; deadLetter: DeadLetter }[] = [];
    for (const value of values) {
      if (value === null) continue;
      const entry = JSON.parse(value) as StoredDeadLetter;
      out.push({ entry, deadLetter: toDeadLetter(queue, entry, ctx.serializer) });
    }
    return out;
  };
  const remove = async (queue: string, ids: readonly string[]): Promise<void> => {
    if (ids.length === 0) return;
    const keys = ctx.keysOf(queue);
    await ctx
      .redis()
      .multi()
      .zrem(keys.deadLetterIndex, ...ids)
      .hdel(keys.deadLetterData, ...ids)
      .exec();
  };
  /** Entries of `queue` matching `filter` (validated first, before any I/O). */
  const select = async (queue: string, filter: unknown, verb: 'list' | 'replay' | 'purge') => {
    ctx.assertQueue(queue);
    const resolved = resolveDeadLetterFilter(filter, 'kinesis', verb);
    const entries = await all(queue);
    const byDeadLetter = new Map(entries.map((v) => [v.deadLetter, v.entry]));
    const chosen = selectDeadLetters(
      entries.map((v) => v.deadLetter),
      resolved,
      { matchAll: true, page: verb === 'list' },
    );
    return chosen.map((deadLetter) => ({
      deadLetter,
      entry: byDeadLetter.get(deadLetter) as StoredDeadLetter,
    }));
  };
  const store: DeadLetterStore = {
    async list(queue, filter) {
      return (await select(queue, filter, 'list')).map((v) => v.deadLetter);
    },
    async count(queue) {
      ctx.assertQueue(queue);
      return ctx.redis().zcard(ctx.keysOf(queue).deadLetterIndex);
    },
    async inspect(queue, id) {
      ctx.assertQueue(queue);
      if (typeof id !== 'string' || id.length === 0)
        throw new ValidationError(
          '[@mqkit/kinesis] deadLetters.inspect(): "id" must be a non-empty string',
        );
      const value = await ctx.redis().hget(ctx.keysOf(queue).deadLetterData, id);
      return value === null
        ? undefined
        : toDeadLetter(queue, JSON.parse(value) as StoredDeadLetter, ctx.serializer);
    },
    async replay(queue, filter) {
      const chosen = (await select(queue, filter, 'replay')).map((v) => v.entry);
      if (chosen.length === 0) return 0;
      // Put back first, then remove: a crash in between leaves a duplicate, never a loss.
      await ctx.replay(queue, chosen);
      await remove(
        queue,
        chosen.map((e) => e.id),
      );
      return chosen.length;
    },
    async purge(queue, filter) {
      const chosen = (await select(queue, filter, 'purge')).map((v) => v.entry.id);
      await remove(queue, chosen);
      return chosen.length;
    },
  };
  return {
    async add(keys, entry) {
      await runScript(
        ctx.redis(),
        addScript,
        [keys.deadLetterIndex, keys.deadLetterData],
        [entry.id, JSON.stringify(entry), entry.deadLetteredAt, ctx.maxEntries],
      );
    },
    store,
  };
}

import {
  assertQueueName,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterStore,
  type ErrorInfo,
  qualifyQueueName,
  type Serializer,
} from '@mqkit/core';
import { rowToMessage } from '../message.js';
import type { DeadLetterQuery, DeadLetterRow, SqlStore } from '../sql/store.js';

/** What {@link createDeadLetterStore} needs. */
export interface DeadLetterStoreParams {
  readonly store: SqlStore;
  readonly provider: string;
  readonly namespace: string | undefined;
  readonly serializer: Serializer;
  /**
   * Shown as `maxAttempts` for rows that record no effective value (dead-lettered before
   * migration 002) and had none of their own: the consumers' default.
   */
  readonly defaultMaxAttempts: number;
  /** Called after a replay moved messages back (wakes local consumers). */
  readonly onReplayed: (storedQueue: string) => void;
  /** NOTIFY listeners after a replay (PostgreSQL). */
  readonly notify: boolean;
}

function parseError(text: string): ErrorInfo {
  try {
    const parsed = JSON.parse(text) as ErrorInfo;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.message === 'string')
      return parsed;
  } catch {
    // fall through: stored by something else
  }
  return { name: 'Error', message: text };
}

/**
 * The dead-letter store over the dead-letter table. `ids`, `type` and `before` filter in SQL;
 * a `where` predicate runs in JS over the SQL result (so `limit`/`offset` apply after it).
 */
export function createDeadLetterStore(params: DeadLetterStoreParams): DeadLetterStore {
  const { store, provider, namespace, serializer } = params;
  const stored = (queue: string): string => {
    assertQueueName(queue, provider);
    return qualifyQueueName(namespace, queue);
  };
  // A dead letter must stay inspectable even when its payload cannot be deserialised (that may
  // be why it is here): fall back to the stored text.
  const readable: Serializer = {
    name: serializer.name,
    serialize: (payload) => serializer.serialize(payload),
    deserialize(text: string) {
      try {
        return serializer.deserialize(text);
      } catch {
        return text;
      }
    },
  };
  const toDeadLetter = (row: DeadLetterRow, queue: string): DeadLetter => ({
    // The maxAttempts the consumer applied when it dead-lettered the message (row.max_attempts is
    // the message's own, NULL when it had none, which is what replay puts back).
    message: {
      ...rowToMessage(row, queue, readable, params.defaultMaxAttempts),
      ...(row.effective_max_attempts === null || row.effective_max_attempts === undefined
        ? {}
        : { maxAttempts: Number(row.effective_max_attempts) }),
    },
    error: parseError(row.error),
    attempts: Number(row.attempt),
    deadLetteredAt:
      row.dead_lettered_at instanceof Date ? row.dead_lettered_at : new Date(row.dead_lettered_at),
  });
  const sqlQuery = (filter: DeadLetterFilter | undefined): DeadLetterQuery => ({
    ...(filter?.ids !== undefined ? { ids: filter.ids } : {}),
    ...(filter?.type !== undefined ? { type: filter.type } : {}),
    ...(filter?.before !== undefined ? { before: filter.before } : {}),
  });
  const select = async (queue: string, filter: DeadLetterFilter | undefined) => {
    const rows = await store.listDeadLetters(stored(queue), sqlQuery(filter));
    const all = rows.map((row) => toDeadLetter(row, queue));
    return filter?.where === undefined ? all : all.filter(filter.where);
  };
  return {
    async list(queue, options) {
      const limit = options?.limit ?? 100;
      const offset = options?.offset ?? 0;
      if (options?.where !== undefined)
        return (await select(queue, options)).slice(offset, offset + limit);
      const rows = await store.listDeadLetters(stored(queue), {
        ...sqlQuery(options),
        limit,
        offset,
      });
      return rows.map((row) => toDeadLetter(row, queue));
    },
    count(queue) {
      return store.countDeadLetters(stored(queue));
    },
    async inspect(queue, id) {
      const rows = await store.listDeadLetters(stored(queue), { ids: [id] });
      const row = rows[0];
      return row === undefined ? undefined : toDeadLetter(row, queue);
    },
    async replay(queue, filter) {
      const storedQueue = stored(queue);
      const ids = (await select(queue, filter)).map((d) => d.message.id);
      const moved = await store.replayDeadLetters(storedQueue, ids, params.notify);
      if (moved > 0) params.onReplayed(storedQueue);
      return moved;
    },
    async purge(queue, filter) {
      const storedQueue = stored(queue);
      if (filter?.where === undefined) return store.purgeDeadLetters(storedQueue, sqlQuery(filter));
      const ids = (await select(queue, filter)).map((d) => d.message.id);
      if (ids.length === 0) return 0;
      return store.purgeDeadLetters(storedQueue, { ids });
    },
  };
}

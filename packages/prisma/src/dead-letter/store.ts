import type { DeadLetter, DeadLetterStore, ErrorInfo, Message, Serializer } from '@mqkit/core';
import {
  assertQueueName,
  decodeEnvelopeLenient,
  qualifyQueueName,
  queryCriteria,
  type ResolvedDeadLetterFilter,
  resolveDeadLetterFilter,
  selectDeadLetters,
} from '@mqkit/core/provider';
import { rowToEnvelope } from '../message.js';
import type { DeadLetterRow, SqlStore } from '../sql/store.js';

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
export function createDeadLetterStore<Msg extends Message = Message>(
  params: DeadLetterStoreParams,
): DeadLetterStore<Msg> {
  const { store, provider, namespace, serializer } = params;
  const stored = (queue: string): string => {
    assertQueueName(queue, provider);
    return qualifyQueueName(namespace, queue);
  };
  type D = DeadLetter<Msg>;
  const toDeadLetter = (row: DeadLetterRow, queue: string): D => {
    // The maxAttempts the consumer applied when it dead-lettered the message (row.max_attempts is
    // the message's own, NULL when it had none, which is what replay puts back).
    const effective =
      row.effective_max_attempts === null || row.effective_max_attempts === undefined
        ? undefined
        : Number(row.effective_max_attempts);
    const envelope = rowToEnvelope(row, params.defaultMaxAttempts);
    return {
      // A dead letter must stay inspectable even when its payload cannot be decoded (that may be
      // why it is here): the stored text is shown then.
      message: decodeEnvelopeLenient(
        effective === undefined ? envelope : { ...envelope, maxAttempts: effective },
        queue,
        serializer,
      ) as Msg,
      error: parseError(row.error),
      attempts: Number(row.attempt),
      deadLetteredAt:
        row.dead_lettered_at instanceof Date
          ? row.dead_lettered_at
          : new Date(row.dead_lettered_at),
    };
  };
  /** Every dead letter the filter selects (criteria in SQL, `where` in JS), unpaged. */
  const select = async (queue: string, filter: ResolvedDeadLetterFilter<D>): Promise<D[]> => {
    const rows = await store.listDeadLetters(stored(queue), queryCriteria(filter));
    return selectDeadLetters(
      rows.map((row) => toDeadLetter(row, queue)),
      filter,
    );
  };
  return {
    async list(queue, options) {
      const filter = resolveDeadLetterFilter<D>(options, provider, 'list');
      if (filter.where !== undefined)
        return selectDeadLetters(
          await select(queue, filter),
          { ...filter, where: undefined },
          { page: true },
        );
      const rows = await store.listDeadLetters(stored(queue), {
        ...queryCriteria(filter),
        limit: filter.limit,
        offset: filter.offset,
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
    async replay(queue, options) {
      const filter = resolveDeadLetterFilter<D>(options, provider, 'replay');
      const storedQueue = stored(queue);
      const ids = (await select(queue, filter)).map((d) => d.message.id);
      const moved = await store.replayDeadLetters(storedQueue, ids, params.notify);
      if (moved > 0) params.onReplayed(storedQueue);
      return moved;
    },
    async purge(queue, options) {
      const filter = resolveDeadLetterFilter<D>(options, provider, 'purge');
      const storedQueue = stored(queue);
      if (filter.where === undefined)
        return store.purgeDeadLetters(storedQueue, queryCriteria(filter));
      const ids = (await select(queue, filter)).map((d) => d.message.id);
      if (ids.length === 0) return 0;
      return store.purgeDeadLetters(storedQueue, { ids });
    },
  };
}

import type { Message, Serializer } from '@mqkit/core';
import { decodeEnvelopeLenient, withBackendErrors } from '@mqkit/core/provider';
import type { PrismaRawClient } from '../client.js';
import { rowToEnvelope } from '../message.js';
import { missingTableHint } from '../sql/guard.js';
import type { Tables } from '../sql/identifiers.js';
import type { MessageRow } from '../sql/store.js';

/**
 * The peek statement: the next due, unleased rows in claim order (priority, then due time),
 * read without locking. A claimed row has `run_at` at its lease end, so `run_at <= now` also
 * covers expired leases, exactly as the claim does. Rows of a `partitionKey` whose head is in
 * flight are listed too (the claim would skip them): a peek is a look, not a claim.
 *
 * Parameters (PostgreSQL `$n`, MySQL `?` in this order):
 * - `$1`: qualified queue name;
 * - `$2`: limit.
 */
export function peekSql(tables: Tables, dialect: 'postgresql' | 'mysql'): string {
  const cols =
    'id, type, payload, headers, partition_key, priority, attempt, max_attempts, created_at, run_at';
  if (dialect === 'postgresql') {
    return `SELECT ${cols} FROM ${tables.messages}
WHERE queue = $1 AND run_at <= now()
ORDER BY priority DESC, run_at LIMIT $2::int`;
  }
  return `SELECT ${cols} FROM ${tables.messages}
WHERE queue = ? AND run_at <= UTC_TIMESTAMP(3)
ORDER BY priority DESC, run_at LIMIT ?`;
}

/**
 * The queue-names statement: every queue holding live messages or dead letters (qualified
 * names; the caller filters by namespace). Two index scans on the `(queue, …)` prefixes.
 * No parameters.
 */
export function queueNamesSql(tables: Tables): string {
  return `SELECT DISTINCT queue FROM ${tables.messages}
UNION
SELECT DISTINCT queue FROM ${tables.deadLetters}`;
}

/** Runs {@link peekSql}; driver errors leave as `BackendError` (missing tables get a hint). */
export function readPeek(
  prisma: PrismaRawClient,
  tables: Tables,
  dialect: 'postgresql' | 'mysql',
  storedQueue: string,
  limit: number,
): Promise<MessageRow[]> {
  return withBackendErrors(
    'prisma',
    'peek',
    async () => prisma.$queryRawUnsafe<MessageRow[]>(peekSql(tables, dialect), storedQueue, limit),
    missingTableHint(tables),
  );
}

/** Runs {@link queueNamesSql}; resolves to the qualified names. */
export function readQueueNames(prisma: PrismaRawClient, tables: Tables): Promise<string[]> {
  return withBackendErrors(
    'prisma',
    'queues',
    async () => {
      const rows = await prisma.$queryRawUnsafe<{ queue: string }[]>(queueNamesSql(tables));
      return rows.map((r) => r.queue);
    },
    missingTableHint(tables),
  );
}

/** `peek()` for a Prisma queue: the rows of {@link readPeek} as messages (poison shown as text). */
export async function peekMessages(
  params: {
    readonly prisma: PrismaRawClient;
    readonly tables: Tables;
    readonly dialect: 'postgresql' | 'mysql';
    readonly serializer: Serializer;
    readonly defaultMaxAttempts: number;
  },
  storedQueue: string,
  queue: string,
  limit: number,
): Promise<Message[]> {
  const rows = await readPeek(params.prisma, params.tables, params.dialect, storedQueue, limit);
  return rows.map((row) => {
    const envelope = rowToEnvelope(row, params.defaultMaxAttempts);
    // A peek shows the attempt a claim would make next.
    return decodeEnvelopeLenient(
      { ...envelope, attempt: envelope.attempt + 1 },
      queue,
      params.serializer,
    );
  });
}

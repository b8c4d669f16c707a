import type { QueueStats } from '@mqkit/core';
import { type RawStats, toQueueStats, withBackendErrors } from '@mqkit/core/provider';
import type { PrismaRawClient } from '../client.js';
import { missingTableHint } from '../sql/guard.js';
import type { Tables } from '../sql/identifiers.js';

/** One row of the grouped stats query. `kind` is `due`, `delayed`, `leased` or `dead`. */
export interface StatsRow {
  readonly kind: string;
  readonly n: number | bigint | string;
  /** Milliseconds the oldest row of the group has been due (only for `due`; NULL otherwise). */
  readonly oldest_age_ms: number | bigint | string | null;
}

/**
 * The stats statement for one dialect: one grouped scan of the queue's rows through the claim
 * index `(queue, priority DESC, run_at)` plus one count on the dead-letter index `(queue, …)`.
 * A claimed row has `run_at` moved to its lease end, so `run_at <= now` is "ready" whether the
 * row was never claimed or its lease expired; a row not due is in flight when it holds a lease,
 * otherwise delayed. Ages are computed on the database clock.
 *
 * Parameters (PostgreSQL `$n`, MySQL `?` in this order):
 * - `$1` / first `?`: qualified queue name (messages table);
 * - `$1` / second `?`: the same queue name (dead-letter table).
 */
export function statsSql(tables: Tables, dialect: 'postgresql' | 'mysql'): string {
  const T = tables.messages;
  const D = tables.deadLetters;
  if (dialect === 'postgresql') {
    return `SELECT CASE WHEN run_at <= now() THEN 'due' WHEN lease_until IS NULL THEN 'delayed' ELSE 'leased' END AS kind,
  count(*) AS n,
  floor(extract(epoch FROM now() - min(run_at)) * 1000) AS oldest_age_ms
FROM ${T} WHERE queue = $1
GROUP BY 1
UNION ALL
SELECT 'dead', count(*), NULL FROM ${D} WHERE queue = $1`;
  }
  const NOW = 'UTC_TIMESTAMP(3)';
  return `SELECT CASE WHEN run_at <= ${NOW} THEN 'due' WHEN lease_until IS NULL THEN 'delayed' ELSE 'leased' END AS kind,
  count(*) AS n,
  TIMESTAMPDIFF(MICROSECOND, min(run_at), ${NOW}) DIV 1000 AS oldest_age_ms
FROM ${T} WHERE queue = ?
GROUP BY kind
UNION ALL
SELECT 'dead', count(*), NULL FROM ${D} WHERE queue = ?`;
}

const num = (v: number | bigint | string | null | undefined): number => (v == null ? 0 : Number(v));

/**
 * Pure: folds the rows of {@link statsSql} into {@link RawStats}. `oldestReadyAt` is expressed
 * relative to `now` (the app clock) from the age the database computed, so clock skew between
 * app and database does not distort the age.
 */
export function foldStatsRows(rows: readonly StatsRow[], now: number): RawStats {
  let ready = 0;
  let delayed = 0;
  let inFlight = 0;
  let deadLettered = 0;
  let oldestReadyAt: number | undefined;
  for (const row of rows) {
    const n = num(row.n);
    if (row.kind === 'due') {
      ready += n;
      if (n > 0 && row.oldest_age_ms !== null)
        oldestReadyAt = now - Math.max(0, num(row.oldest_age_ms));
    } else if (row.kind === 'delayed') delayed += n;
    else if (row.kind === 'leased') inFlight += n;
    else if (row.kind === 'dead') deadLettered += n;
  }
  return { ready, delayed, inFlight, deadLettered, oldestReadyAt };
}

/** Runs the stats statement for the qualified queue name `storedQueue`. */
export async function readStats(
  prisma: PrismaRawClient,
  tables: Tables,
  dialect: 'postgresql' | 'mysql',
  storedQueue: string,
): Promise<RawStats> {
  const sql = statsSql(tables, dialect);
  const rows =
    dialect === 'postgresql'
      ? await prisma.$queryRawUnsafe<StatsRow[]>(sql, storedQueue)
      : await prisma.$queryRawUnsafe<StatsRow[]>(sql, storedQueue, storedQueue);
  return foldStatsRows(rows, Date.now());
}

/**
 * `stats(queue)` for a Prisma queue: one statement; a driver error surfaces as a `BackendError`
 * (message redacted, cause kept).
 */
export function queueStats(
  prisma: PrismaRawClient,
  tables: Tables,
  dialect: 'postgresql' | 'mysql',
  storedQueue: string,
  queue: string,
): Promise<QueueStats> {
  return withBackendErrors(
    'prisma',
    'stats',
    async () =>
      toQueueStats(queue, await readStats(prisma, tables, dialect, storedQueue), Date.now()),
    missingTableHint(tables),
  );
}

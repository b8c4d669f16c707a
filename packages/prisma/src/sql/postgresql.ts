import type { PrismaRawClient } from '../client.js';
import { quoteName, type Tables } from './identifiers.js';
import { insertSql, joinedColumns, jsonDocument, MS } from './pg-insert.js';
import {
  type DeadLetterQuery,
  type DeadLetterRow,
  type LeaseRef,
  leaseKey,
  type MessageRow,
  PLAIN_COLUMNS,
  type SqlStore,
} from './store.js';

const MESSAGE_COLUMNS = `${PLAIN_COLUMNS}, created_at, run_at`;
/** A timestamptz column as epoch milliseconds (float8, exact for timestamptz(3)). */
const epochMs = (column: string): string => `round(extract(epoch FROM ${column}) * 1000)::float8`;

/** Channel NOTIFY uses for a messages table; the payload is the queue name, never content. */
export function notifyChannel(tables: Tables): string {
  return `mqkit_${tables.messagesBase}`.slice(0, 63);
}

function whereDeadLetters(query: DeadLetterQuery, params: unknown[]): string {
  let where = 'queue = $1';
  if (query.ids !== undefined) {
    params.push([...query.ids]);
    where += ` AND id = ANY($${params.length}::text[])`;
  }
  if (query.type !== undefined) {
    params.push(query.type);
    where += ` AND type = $${params.length}`;
  }
  if (query.before !== undefined) {
    params.push(query.before.toISOString());
    where += ` AND dead_lettered_at < $${params.length}::timestamptz`;
  }
  return where;
}

/** How {@link postgresqlStore} writes. */
export interface PostgresqlStoreOptions {
  /**
   * Whether claims and acks wait for their commit to be flushed to disk. Default false: they set
   * `synchronous_commit = off` for their own transaction (publishes always wait).
   */
  readonly consumerSynchronousCommit?: boolean;
}

/**
 * Sets `synchronous_commit = off` for the rest of the statement's transaction, used as a FROM
 * item: the commit then returns without waiting for the WAL flush. A crash of PostgreSQL (not a
 * clean stop) can forget the last such commits — up to three `wal_writer_delay`s, 600 ms by
 * default — and what they forget is a claim or an ack, so the message is delivered again: a
 * duplicate, never a loss. Publishes never use it.
 */
const ASYNC_COMMIT = "set_config('synchronous_commit', 'off', true)";

/**
 * PostgreSQL statements. Every value is a bound parameter; table names are validated and quoted
 * at construction. Lists travel as arrays joined with `unnest`, so a batch is one statement
 * whatever its size. Times come from the database clock only (`now()`).
 */
export function postgresqlStore(
  prisma: PrismaRawClient,
  tables: Tables,
  options: PostgresqlStoreOptions = {},
): SqlStore {
  const T = tables.messages;
  const D = tables.deadLetters;
  const channel = notifyChannel(tables);
  const ids = (leases: readonly LeaseRef[]) => leases.map((l) => l.id);
  const tokens = (leases: readonly LeaseRef[]) => leases.map((l) => l.token);
  // The claim's and the ack's FROM item that makes their commit asynchronous, or nothing.
  const asyncCommit =
    options.consumerSynchronousCommit === true ? '' : `${ASYNC_COMMIT} AS async_commit`;

  // The claim is the UPDATE … FOR UPDATE SKIP LOCKED … RETURNING in migration 003's
  // <table>_claim_in_order function (a function only to pin the ordered index-scan plan; see
  // 001_init.sql): ordered by (priority DESC, run_at, seq), a keyed row only while it heads its key.
  // $1 queue, $2 limit, $3 lease token, $4 lease ms. Times come back as epoch milliseconds and
  // seq as float8: the driver and Prisma turn each timestamptz into a Date through string
  // normalisation and each bigint into a BigInt, which cost more than the rest of a claimed row
  // (measured: 200 rows in 1.3–1.7 ms of Node CPU as timestamps, 0.5–0.9 ms as numbers).
  const claimSql = `SELECT ${PLAIN_COLUMNS},
  ${epochMs('created_at')} AS created_at, ${epochMs('run_at')} AS run_at, seq::float8 AS seq
FROM ${asyncCommit && `${asyncCommit}, `}${quoteName(`${tables.messagesName}_claim_in_order`, 'postgresql')}($1, $2::int, $3, $4::bigint)`;

  const extendSql = `UPDATE ${T} AS t
SET lease_until = now() + $4::bigint ${MS}, run_at = now() + $4::bigint ${MS}
FROM unnest($2::text[], $3::text[]) AS x(id, token)
WHERE t.queue = $1 AND t.id = x.id AND t.lease_token = x.token
RETURNING t.id, t.lease_token`;

  // Migration 004's function: one primary-key probe per lease whatever the table's statistics say
  // (a plain DELETE joined to the batch read the whole queue on a table without statistics).
  // $1 queue, $2 ids, $3 tokens (paired by position).
  const ackSql = `SELECT ${quoteName(`${tables.messagesName}_ack`, 'postgresql')}($1, $2::text[], $3::text[]) AS n${asyncCommit && ` FROM ${asyncCommit}`}`;

  const retrySql = `UPDATE ${T} AS t
SET lease_token = NULL, lease_until = NULL, run_at = now() + x.delay_ms ${MS}, last_error = x.error
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) AS x(id, token, delay_ms, error)
WHERE t.queue = $1 AND t.id = x.id AND t.lease_token = x.token`;

  const releaseSql = `UPDATE ${T} AS t
SET lease_token = NULL, lease_until = NULL, run_at = now(), attempt = GREATEST(t.attempt - 1, 0)
FROM unnest($2::text[], $3::text[]) AS x(id, token)
WHERE t.queue = $1 AND t.id = x.id AND t.lease_token = x.token`;

  // One statement, so atomic: the data-modifying CTE deletes what the INSERT copies.
  // max_attempts stays the message's own (replay restores it); effective_max_attempts records the
  // value the consumer applied, which dead-letter queries show.
  const deadLetterSql = `WITH moved AS (
  DELETE FROM ${T} AS t USING unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[]) AS x(id, token, error, due_at, effective_max_attempts)
  WHERE t.queue = $1 AND t.id = x.id AND t.lease_token = x.token
  RETURNING t.queue, t.id, t.type, t.payload, t.headers, t.partition_key, t.priority, t.attempt, t.max_attempts,
    COALESCE(x.effective_max_attempts, t.max_attempts) AS effective_max_attempts, t.created_at, x.due_at, x.error
)
INSERT INTO ${D} (queue, id, type, payload, headers, partition_key, priority, attempt, max_attempts, effective_max_attempts, created_at, run_at, error, dead_lettered_at)
SELECT queue, id, type, payload, headers, partition_key, priority, attempt, max_attempts, effective_max_attempts, created_at, due_at, error, now() FROM moved
ON CONFLICT (queue, id) DO UPDATE SET type = EXCLUDED.type, payload = EXCLUDED.payload, headers = EXCLUDED.headers,
  partition_key = EXCLUDED.partition_key, priority = EXCLUDED.priority, attempt = EXCLUDED.attempt,
  max_attempts = EXCLUDED.max_attempts, effective_max_attempts = EXCLUDED.effective_max_attempts,
  created_at = EXCLUDED.created_at, run_at = EXCLUDED.run_at,
  error = EXCLUDED.error, dead_lettered_at = EXCLUDED.dead_lettered_at`;

  const replaySql = `WITH moved AS (
  DELETE FROM ${D} AS d
  WHERE d.queue = $1 AND d.id = ANY($2::text[])
    AND NOT EXISTS (SELECT 1 FROM ${T} AS t WHERE t.queue = d.queue AND t.id = d.id)
  RETURNING d.queue, d.id, d.type, d.payload, d.headers, d.partition_key, d.priority, d.max_attempts, d.created_at
), ins AS (
  INSERT INTO ${T} (queue, id, type, payload, headers, partition_key, priority, attempt, max_attempts, created_at, run_at)
  SELECT queue, id, type, payload, headers, partition_key, priority, 0, max_attempts, created_at, now() FROM moved
  ON CONFLICT (queue, id) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS n FROM ins`;

  return {
    async insert(queue, rows, { notify, report, freshIds }) {
      const columns = joinedColumns(rows);
      // Without deduplication every row is inserted: nothing to report.
      const returning = report && !freshIds;
      const sql = insertSql(T, {
        joined: columns !== undefined,
        dedupe: !freshIds,
        notify,
        report: returning,
      });
      const values = [queue, ...(columns ?? [jsonDocument(rows)])];
      if (notify) values.push(channel);
      if (!returning) {
        await prisma.$executeRawUnsafe(sql, ...values);
        return undefined;
      }
      const inserted = await prisma.$queryRawUnsafe<{ id: string }[]>(sql, ...values);
      return inserted.map((r) => r.id);
    },
    async claim(queue, limit, leaseMs, token) {
      return prisma.$queryRawUnsafe<MessageRow[]>(claimSql, queue, limit, token, leaseMs);
    },
    async extend(queue, leases, leaseMs) {
      const rows = await prisma.$queryRawUnsafe<{ id: string; lease_token: string }[]>(
        extendSql,
        queue,
        ids(leases),
        tokens(leases),
        leaseMs,
      );
      return new Set(rows.map((r) => leaseKey(r.id, r.lease_token)));
    },
    async ack(queue, leases) {
      await prisma.$executeRawUnsafe(ackSql, queue, ids(leases), tokens(leases));
    },
    async retry(queue, rows) {
      await prisma.$executeRawUnsafe(
        retrySql,
        queue,
        ids(rows),
        tokens(rows),
        rows.map((r) => Math.round(r.delayMs)),
        rows.map((r) => r.error),
      );
    },
    async release(queue, leases) {
      await prisma.$executeRawUnsafe(releaseSql, queue, ids(leases), tokens(leases));
    },
    async deadLetter(queue, moves) {
      await prisma.$executeRawUnsafe(
        deadLetterSql,
        queue,
        ids(moves),
        tokens(moves),
        moves.map((m) => m.error),
        moves.map((m) => m.runAt.toISOString()),
        moves.map((m) => m.maxAttempts),
      );
    },
    async listDeadLetters(queue, query) {
      const params: unknown[] = [queue];
      const where = whereDeadLetters(query, params);
      let sql = `SELECT ${MESSAGE_COLUMNS}, effective_max_attempts, error, dead_lettered_at FROM ${D} WHERE ${where} ORDER BY dead_lettered_at, id`;
      if (query.limit !== undefined) {
        params.push(query.limit);
        sql += ` LIMIT $${params.length}`;
      }
      if (query.offset !== undefined && query.offset > 0) {
        params.push(query.offset);
        sql += ` OFFSET $${params.length}`;
      }
      return prisma.$queryRawUnsafe<DeadLetterRow[]>(sql, ...params);
    },
    async countDeadLetters(queue) {
      const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${D} WHERE queue = $1`,
        queue,
      );
      return Number(rows[0]?.n ?? 0);
    },
    async replayDeadLetters(queue, replayIds, notify) {
      if (replayIds.length === 0) return 0;
      const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(replaySql, queue, [...replayIds]);
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0 && notify)
        await prisma.$executeRawUnsafe('SELECT pg_notify($1, $2)', channel, queue);
      return n;
    },
    async purgeDeadLetters(queue, query) {
      const params: unknown[] = [queue];
      const where = whereDeadLetters(query, params);
      return prisma.$executeRawUnsafe(`DELETE FROM ${D} WHERE ${where}`, ...params);
    },
  };
}

import {
  type Capabilities,
  type ConsumeOptions,
  type Consumer,
  consumeDefaults,
  type Handler,
  type HealthOptions,
  type HealthReport,
  type MessageOf,
  type MessageQueue,
  type PayloadMap,
  type PeekOptions,
  type PublishInput,
  type PublishResult,
  type QueueOptions,
  type QueueStats,
} from '@mqkit/core';
import {
  Checker,
  checkHealth,
  createConsumerRegistry,
  createPublishKit,
  namesInNamespace,
  qualifyQueueName,
  resolvePeekOptions,
  resolveQueueOptions,
} from '@mqkit/core/provider';
import { detectDialect, type PrismaClientLike, type PrismaDialect } from './client.js';
import { createPrismaBackend } from './consumer/backend.js';
import { createDeadLetterStore } from './dead-letter/store.js';
import { createInit, resolveApplyMigrations } from './init.js';
import { guardStore } from './sql/guard.js';
import { assertTableNames, tablesFor } from './sql/identifiers.js';
import { mysqlStore } from './sql/mysql.js';
import { notifyChannel, postgresqlStore } from './sql/postgresql.js';
import type { InsertRow } from './sql/store.js';
import { peekMessages, readQueueNames } from './stats/peek.js';
import { queueStats } from './stats/queries.js';
import { createWakeups, type PgListener, startPgListener } from './wakeup/wake-hub.js';

const PROVIDER = 'prisma';

/** Options of {@link createPrismaQueue}. */
export interface PrismaQueueOptions extends QueueOptions {
  /** Your PrismaClient (Prisma 6/7, driver adapter or not). mqkit never disconnects it. Required. */
  prisma: PrismaClientLike;
  /**
   * SQL dialect. Default: read from the client (`postgresql` or `mysql`); required when the client
   * does not tell. MariaDB is `mysql`.
   */
  dialect?: PrismaDialect;
  /** Table of live messages (letters, digits, `_`; optional `schema.` prefix). Default `mqkit_messages`. */
  table?: string;
  /** Table of dead letters. Default `<table>_dead_letters`. */
  deadLetterTable?: string;
  /**
   * PostgreSQL only: wake idle consumers by LISTEN/NOTIFY through a `pg` connection that mqkit
   * opens (and closes on `close()`). Without it consumers poll with adaptive back-off. Publishes
   * always NOTIFY on PostgreSQL, so publishers need no option.
   */
  listen?: { connectionString: string };
  /**
   * When true, `init()` applies the shipped migrations ({@link applyMigrations}, idempotent)
   * before checking the tables. Default false: `init()` only checks, and says how to create
   * them when they are missing.
   */
  applyMigrations?: boolean;
  /**
   * PostgreSQL only: whether a consumer's claims and acks wait for their commit to be flushed to
   * disk. Default false: they commit with `synchronous_commit = off` (for their own transaction
   * only), which makes a one-message drain ~10–20 % faster. A PostgreSQL crash (not a clean stop)
   * can then forget the last ~600 ms of claims and acks: those messages are delivered again —
   * duplicates, never losses. Publishes always wait for the flush. On MySQL/MariaDB the server's
   * `innodb_flush_log_at_trx_commit` decides, and this option changes nothing.
   */
  consumerSynchronousCommit?: boolean;
}

/** A {@link MessageQueue} on PostgreSQL or MySQL/MariaDB through Prisma. */
export interface PrismaQueue<M extends PayloadMap = PayloadMap> extends MessageQueue<M> {
  /** The dialect in use. */
  readonly dialect: PrismaDialect;
  /** Table names in use (unquoted), for migrations and monitoring. */
  readonly tables: { readonly messages: string; readonly deadLetters: string };
}

/**
 * What @mqkit/prisma supports: delay, priority, deduplication and per-key ordering (one message
 * of a `partitionKey` in flight at a time, in publish order; needs migration 003).
 */
export const prismaCapabilities: Capabilities = Object.freeze({
  delay: true,
  priority: true,
  ordering: true,
  deduplication: true,
});

/**
 * Creates a queue stored in PostgreSQL or MySQL/MariaDB through your PrismaClient. Create the
 * tables first ({@link applyMigrations} or the SQL files in `migrations/`). Options are validated
 * here ({@link ConfigurationError}); nothing touches the database until the first call.
 */
export function createPrismaQueue<M extends PayloadMap = PayloadMap>(
  options: PrismaQueueOptions,
): PrismaQueue<M> {
  const resolved = resolveQueueOptions(options, PROVIDER, [
    'prisma',
    'dialect',
    'table',
    'deadLetterTable',
    'listen',
    'applyMigrations',
    'consumerSynchronousCommit',
  ]);
  const check = new Checker(PROVIDER);
  const { prisma } = options;
  if (
    typeof prisma !== 'object' ||
    prisma === null ||
    typeof prisma.$queryRawUnsafe !== 'function' ||
    typeof prisma.$executeRawUnsafe !== 'function'
  ) {
    throw check.error('prisma', 'is required: pass your PrismaClient instance');
  }
  const dialect = resolveDialect(check, options.dialect, prisma);
  const { table, deadLetterTable } = assertTableNames(
    options.table,
    options.deadLetterTable,
    PROVIDER,
  );
  const listen = resolveListen(check, options.listen, dialect);
  const migrate = resolveApplyMigrations(options.applyMigrations);
  const consumerSynchronousCommit = check.boolean(
    options.consumerSynchronousCommit,
    'consumerSynchronousCommit',
    false,
  );
  const tables = tablesFor(table, deadLetterTable, dialect);
  const store = guardStore(
    dialect === 'postgresql'
      ? postgresqlStore(prisma, tables, { consumerSynchronousCommit })
      : mysqlStore(prisma, tables),
    PROVIDER,
    tables,
  );
  const { logger, lifecycle, serializer, namespace } = resolved;
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle, serializer });
  const hub = createWakeups();
  let listener: PgListener | undefined;
  const notify = dialect === 'postgresql';
  // With mqkit's own UUIDs, a publish whose inputs carry no id cannot meet a stored id.
  const customIds = options.generateId !== undefined;
  const publisher = createPublishKit({
    provider: PROVIDER,
    capabilities: prismaCapabilities,
    options: resolved,
    customIds,
  });
  const stored = (queue: string): string => qualifyQueueName(namespace, queue);

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const { prepared, ids } = publisher.prepare(queue, input);
    const rows = new Array<InsertRow>(prepared.length);
    let dueNow = false;
    let given = false;
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as (typeof prepared)[number];
      if (p.delayMs === 0) dueNow = true;
      if (p.id !== undefined) given = true;
      let headers: string | null = null;
      for (const _ in p.headers) {
        headers = JSON.stringify(p.headers);
        break;
      }
      rows[i] = {
        id: ids[i] as string,
        type: p.type,
        payload: p.body,
        headers,
        partitionKey: p.partitionKey ?? null,
        priority: p.priority,
        maxAttempts: p.maxAttempts ?? null,
        delayMs: p.delayMs,
      };
    }
    if (rows.length === 0) return { ids };
    const storedQueue = stored(queue);
    const inserted = await store.insert(storedQueue, rows, {
      notify: notify && dueNow,
      report: lifecycle.active,
      freshIds: !customIds && !given,
    });
    if (dueNow) hub.wake(storedQueue);
    // Deduplicated inputs were not stored: they are not "published" for metrics. Input order;
    // an id repeated within the batch counts once (its first input was the one stored).
    let storedIndexes: number[] | undefined;
    if (inserted !== undefined) {
      const fresh = new Set(inserted);
      storedIndexes = [];
      for (let i = 0; i < ids.length; i++)
        if (fresh.delete(ids[i] as string)) storedIndexes.push(i);
    }
    publisher.done(queue, prepared, ids, storedIndexes);
    return { ids };
  }

  function consume(
    queue: string,
    handler: Handler<MessageOf<M>>,
    consumeOptions?: ConsumeOptions,
  ): Consumer {
    return consumers.start(queue, handler as Handler, consumeOptions, (options) => {
      if (listen !== undefined && listener === undefined) {
        listener = startPgListener({
          connectionString: listen.connectionString,
          channel: notifyChannel(tables),
          hub,
          logger,
        });
      }
      const storedQueue = stored(queue);
      return {
        backend: createPrismaBackend({
          store,
          storedQueue,
          defaultMaxAttempts: options.retry.maxAttempts,
          wait: (timeoutMs, signal) => hub.wait(storedQueue, timeoutMs, signal),
          // PostgreSQL: a second ack while the first is in flight when handlers wait on outcomes
          // (the writes touch disjoint rows and are fenced by lease token). MariaDB: one at a time.
          settlesInFlight: dialect === 'postgresql' ? 2 : 1,
        }),
      };
    });
  }

  const deadLetters = createDeadLetterStore<MessageOf<M>>({
    store,
    provider: PROVIDER,
    namespace,
    serializer,
    defaultMaxAttempts: consumeDefaults.retry.maxAttempts,
    onReplayed: (storedQueue) => hub.wake(storedQueue),
    notify,
  });

  async function stats(queue: string): Promise<QueueStats> {
    consumers.assertUsable(queue);
    return queueStats(prisma, tables, dialect, stored(queue), queue);
  }

  const peekParams = {
    prisma,
    tables,
    dialect,
    serializer,
    defaultMaxAttempts: consumeDefaults.retry.maxAttempts,
  };
  async function peek(queue: string, peekOptions?: PeekOptions): Promise<MessageOf<M>[]> {
    consumers.assertUsable(queue);
    const limit = resolvePeekOptions(peekOptions, PROVIDER);
    return (await peekMessages(peekParams, stored(queue), queue, limit)) as MessageOf<M>[];
  }

  async function queues(): Promise<string[]> {
    return namesInNamespace(await readQueueNames(prisma, tables), namespace);
  }

  function health(healthOptions?: HealthOptions): Promise<HealthReport> {
    return checkHealth({
      provider: PROVIDER,
      options: healthOptions,
      ping: () => Promise.resolve(prisma.$queryRawUnsafe('SELECT 1')),
      consumers: consumers.health,
    });
  }

  return {
    provider: PROVIDER,
    capabilities: prismaCapabilities,
    dialect,
    stats,
    health,
    peek,
    queues,
    tables: { messages: table, deadLetters: deadLetterTable },
    init: createInit({ prisma, tables, dialect, migrate }),
    publish: publish as PrismaQueue<M>['publish'],
    consume,
    deadLetters,
    async close(stopOptions) {
      await consumers.close(stopOptions);
      const l = listener;
      listener = undefined;
      await l?.close();
    },
  };
}

function resolveDialect(check: Checker, value: unknown, prisma: object): PrismaDialect {
  const given = check.oneOf(
    value,
    'dialect',
    ['postgresql', 'mysql'] as const,
    ' (MariaDB is "mysql")',
  );
  if (given !== undefined) return given;
  const detected = detectDialect(prisma);
  if (detected === undefined) {
    throw check.error(
      'dialect',
      'is required: the database could not be told from the PrismaClient; pass option "dialect" ("postgresql" or "mysql")',
    );
  }
  return detected;
}

function resolveListen(
  check: Checker,
  value: unknown,
  dialect: PrismaDialect,
): { connectionString: string } | undefined {
  if (value === undefined) return undefined;
  const o = check.optionalObject(value, 'listen', ['connectionString']);
  const connectionString = check.string(o.connectionString, 'listen.connectionString');
  if (connectionString === undefined)
    throw check.error('listen', 'must be { connectionString: "postgresql://…" }');
  if (dialect !== 'postgresql')
    throw check.error('listen', 'needs PostgreSQL (LISTEN/NOTIFY); MySQL/MariaDB consumers poll');
  return { connectionString };
}

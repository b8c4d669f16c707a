import { randomUUID } from 'node:crypto';
import {
  type Capabilities,
  type Claim,
  ConfigurationError,
  type ConsumeOptions,
  type Consumer,
  type ConsumerBackend,
  consumeDefaults,
  createConsumerRegistry,
  type DeadLetterStore,
  errorInfo,
  type Handler,
  type Logger,
  type MessageOf,
  type MessageQueue,
  type Outcomes,
  type PayloadMap,
  type PublishInput,
  type PublishResult,
  prepareMessages,
  type QueueOptions,
  qualifyQueueName,
  resolveQueueOptions,
  type Serializer,
} from '@mqkit/core';
import { detectDialect, type PrismaClientLike, type PrismaDialect } from './client.js';
import { createDeadLetterStore } from './dead-letter/store.js';
import { rowToMessage, toDate } from './message.js';
import { assertTableNames, tablesFor } from './sql/identifiers.js';
import { mysqlStore } from './sql/mysql.js';
import { notifyChannel, postgresqlStore } from './sql/postgresql.js';
import type { DeadLetterMove, InsertRow, SqlStore } from './sql/store.js';
import { leaseKey } from './sql/store.js';
import { createWakeHub, type PgListener, startPgListener } from './wakeup/wake-hub.js';

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

interface PrismaClaim extends Claim {
  readonly token: string;
}

function backend(
  store: SqlStore,
  storedQueue: string,
  queue: string,
  serializer: Serializer,
  defaultMaxAttempts: number,
  wait: (timeoutMs: number, signal: AbortSignal) => Promise<void>,
  logger: Logger,
): ConsumerBackend<PrismaClaim> {
  return {
    async claim(limit, leaseMs) {
      const token = randomUUID();
      const rows = await store.claim(storedQueue, limit, leaseMs, token);
      if (rows.length > 1) {
        // RETURNING order is unspecified: restore claim order for handler starts.
        rows.sort(
          (a, b) =>
            Number(b.priority) - Number(a.priority) ||
            toDate(a.run_at).getTime() - toDate(b.run_at).getTime() ||
            Number(a.seq ?? 0) - Number(b.seq ?? 0),
        );
      }
      const claims: PrismaClaim[] = [];
      const unreadable: DeadLetterMove[] = [];
      for (const row of rows) {
        try {
          claims.push({ token, message: rowToMessage(row, queue, serializer, defaultMaxAttempts) });
        } catch (error) {
          // A payload the serializer cannot read would fail every claim that returns it: move it
          // to the dead letters at once (a handler could never process it).
          unreadable.push({
            id: row.id,
            token,
            error: JSON.stringify(errorInfo(error)),
            runAt: toDate(row.run_at),
            maxAttempts: row.max_attempts === null ? defaultMaxAttempts : Number(row.max_attempts),
          });
        }
      }
      if (unreadable.length > 0) {
        logger.warn(
          { queue, ids: unreadable.map((u) => u.id) },
          'payload could not be deserialised; dead-lettered without delivery',
        );
        // If this write fails the lease expires and the next claim tries again.
        await store.deadLetter(storedQueue, unreadable).catch(() => undefined);
      }
      return claims;
    },
    async extend(claims, leaseMs) {
      const held = await store.extend(
        storedQueue,
        claims.map((c) => ({ id: c.message.id, token: c.token })),
        leaseMs,
      );
      return claims.filter((c) => !held.has(leaseKey(c.message.id, c.token)));
    },
    async settle(outcomes: Outcomes<PrismaClaim>) {
      const writes: Promise<void>[] = [];
      const ref = (c: PrismaClaim) => ({ id: c.message.id, token: c.token });
      if (outcomes.acked.length > 0) writes.push(store.ack(storedQueue, outcomes.acked.map(ref)));
      if (outcomes.retried.length > 0)
        writes.push(
          store.retry(
            storedQueue,
            outcomes.retried.map((r) => ({
              ...ref(r.claim),
              delayMs: r.delayMs,
              error: JSON.stringify(r.error),
            })),
          ),
        );
      if (outcomes.deadLettered.length > 0)
        writes.push(
          store.deadLetter(
            storedQueue,
            outcomes.deadLettered.map((d) => ({
              ...ref(d.claim),
              error: JSON.stringify(d.error),
              runAt: d.claim.message.runAt,
              // The value this consumer applied (the message's own, else the consumer's).
              maxAttempts: d.claim.message.maxAttempts,
            })),
          ),
        );
      if (outcomes.released.length > 0)
        writes.push(store.release(storedQueue, outcomes.released.map(ref)));
      // The lists touch disjoint rows: write them concurrently (one statement each).
      const results = await Promise.allSettled(writes);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      // Every write is fenced by lease token, so writing a list twice after a partial failure is
      // harmless: the rows already written no longer match.
      if (failed !== undefined) throw failed.reason;
    },
    waitForWork: wait,
  };
}

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
  ]);
  const { prisma } = options;
  if (
    typeof prisma !== 'object' ||
    prisma === null ||
    typeof prisma.$queryRawUnsafe !== 'function' ||
    typeof prisma.$executeRawUnsafe !== 'function'
  ) {
    throw new ConfigurationError(
      'prisma',
      `[@mqkit/${PROVIDER}] option "prisma" is required: pass your PrismaClient instance`,
    );
  }
  const dialect = resolveDialect(options.dialect, prisma);
  const { table, deadLetterTable } = assertTableNames(
    options.table,
    options.deadLetterTable,
    PROVIDER,
  );
  const listen = resolveListen(options.listen, dialect);
  const tables = tablesFor(table, deadLetterTable, dialect);
  const store =
    dialect === 'postgresql' ? postgresqlStore(prisma, tables) : mysqlStore(prisma, tables);
  const { logger, lifecycle, serializer, namespace } = resolved;
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle });
  const hub = createWakeHub();
  let listener: PgListener | undefined;
  const notify = dialect === 'postgresql';
  const prepareContext = {
    provider: PROVIDER,
    capabilities: prismaCapabilities,
    serializer,
    maxMessageBytes: resolved.maxMessageBytes,
  };
  const stored = (queue: string): string => qualifyQueueName(namespace, queue);

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const prepared = prepareMessages(input, prepareContext);
    const rows = new Array<InsertRow>(prepared.length);
    const ids = new Array<string>(prepared.length);
    let dueNow = false;
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as (typeof prepared)[number];
      const id = p.id ?? resolved.generateId();
      if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
        throw new ConfigurationError(
          'generateId',
          `[@mqkit/${PROVIDER}] option "generateId" must return a non-empty string of at most 200 characters; nothing was published`,
        );
      }
      ids[i] = id;
      if (p.delayMs === 0) dueNow = true;
      let headers: string | null = null;
      for (const _ in p.headers) {
        headers = JSON.stringify(p.headers);
        break;
      }
      rows[i] = {
        id,
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
    const inserted = await store.insert(storedQueue, rows, notify && dueNow, lifecycle.active);
    if (dueNow) hub.wake(storedQueue);
    logger.debug(
      resolved.logPayloads
        ? { queue, ids, payloads: prepared.map((p) => p.body) }
        : { queue, count: ids.length },
      'published',
    );
    if (inserted !== undefined && inserted.length > 0) {
      // Deduplicated inputs were not stored: they are not "published" for metrics. Input order;
      // an id repeated within the batch counts once (its first input was the one stored).
      const fresh = new Set(inserted);
      const messages: { id: string; type: string }[] = [];
      for (let i = 0; i < prepared.length; i++) {
        const id = ids[i] as string;
        if (fresh.delete(id))
          messages.push({ id, type: (prepared[i] as (typeof prepared)[number]).type });
      }
      lifecycle.emit({ type: 'published', provider: PROVIDER, queue, messages });
    }
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
        backend: backend(
          store,
          storedQueue,
          queue,
          serializer,
          options.retry.maxAttempts,
          (timeoutMs, signal) => hub.wait(storedQueue, timeoutMs, signal),
          logger,
        ),
      };
    });
  }

  const deadLetters = createDeadLetterStore({
    store,
    provider: PROVIDER,
    namespace,
    serializer,
    defaultMaxAttempts: consumeDefaults.retry.maxAttempts,
    onReplayed: (storedQueue) => hub.wake(storedQueue),
    notify,
  });

  return {
    provider: PROVIDER,
    capabilities: prismaCapabilities,
    dialect,
    tables: { messages: table, deadLetters: deadLetterTable },
    publish: publish as PrismaQueue<M>['publish'],
    consume,
    deadLetters: deadLetters as unknown as DeadLetterStore<MessageOf<M>>,
    async close(stopOptions) {
      await consumers.close(stopOptions);
      const l = listener;
      listener = undefined;
      await l?.close();
    },
  };
}

function resolveDialect(value: unknown, prisma: object): PrismaDialect {
  if (value !== undefined) {
    if (value !== 'postgresql' && value !== 'mysql') {
      throw new ConfigurationError(
        'dialect',
        `[@mqkit/${PROVIDER}] option "dialect" must be "postgresql" or "mysql" (MariaDB is "mysql") (got ${typeof value === 'string' ? JSON.stringify(value) : typeof value})`,
      );
    }
    return value;
  }
  const detected = detectDialect(prisma);
  if (detected === undefined) {
    throw new ConfigurationError(
      'dialect',
      `[@mqkit/${PROVIDER}] could not tell the database from the PrismaClient: pass option "dialect" ("postgresql" or "mysql")`,
    );
  }
  return detected;
}

function resolveListen(
  value: unknown,
  dialect: PrismaDialect,
): { connectionString: string } | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { connectionString?: unknown }).connectionString === 'string' &&
    (value as { connectionString: string }).connectionString.length > 0 &&
    Object.keys(value).every((k) => k === 'connectionString');
  if (!ok) {
    throw new ConfigurationError(
      'listen',
      `[@mqkit/${PROVIDER}] option "listen" must be { connectionString: "postgresql://…" }`,
    );
  }
  if (dialect !== 'postgresql') {
    throw new ConfigurationError(
      'listen',
      `[@mqkit/${PROVIDER}] option "listen" needs PostgreSQL (LISTEN/NOTIFY); MySQL/MariaDB consumers poll`,
    );
  }
  return value as { connectionString: string };
}

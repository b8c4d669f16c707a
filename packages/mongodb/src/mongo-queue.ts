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
  toBackendError,
  toQueueStats,
} from '@mqkit/core/provider';
import type { Collection, Db, MongoClient } from 'mongodb';
import { createMongoBackend } from './consumer/backend.js';
import { createDeadLetterStore } from './dead-letter/store.js';
import { insertDeduplicated, toDocument } from './producer/publish.js';
import type { MessageDocument } from './schema/document.js';
import { ensureIndexes, type RetentionOptions } from './schema/indexes.js';
import { peekMessages, readQueueNames } from './stats/peek.js';
import { readStats } from './stats/stats.js';
import { createWakeHub, type WakeUpMode } from './wakeup/wake-hub.js';

const PROVIDER = 'mongodb';

/** Default name of the message collection. */
export const DEFAULT_COLLECTION = 'mqkit_messages';

/** Longest retention accepted (10 years), well inside a TTL index's range. */
const MAX_RETENTION_MS = 315_360_000_000;

/** Options of {@link createMongoQueue}: where the messages live, plus the common {@link QueueOptions}. */
export interface MongoQueueOptions extends QueueOptions {
  /** The database to use. Give either `db`, or `client` (and optionally `dbName`). Never closed by mqkit. */
  db?: Db;
  /** A `MongoClient`; the database is `client.db(dbName)`. Never closed by mqkit. */
  client?: MongoClient;
  /** Database name with `client`. Default: the database of the client's connection string. */
  dbName?: string;
  /** Message collection (live messages, dead letters, retained completed messages). Default `mqkit_messages`. */
  collection?: string;
  /**
   * `'auto'` (default): wake idle consumers through a change stream when the server is a replica
   * set or sharded cluster (detected with `hello`); `false`: always poll.
   */
  changeStreams?: 'auto' | false;
  /** TTL-based clean-up of finished messages. Default: completed deleted at once, dead letters kept. */
  retention?: RetentionOptions;
}

/** A MongoDB-backed {@link MessageQueue}. */
export interface MongoQueue<M extends PayloadMap = PayloadMap> extends MessageQueue<M> {
  /** Name of the message collection. */
  readonly collectionName: string;
  /**
   * Creates the collection's indexes (idempotent, safe to run from every process). Runs lazily
   * before the first operation; call it at start-up to fail fast on permissions or connectivity.
   * Rejects with {@link BackendError}; a later call tries again.
   */
  init(): Promise<void>;
  /**
   * Resolves to how idle consumers are woken: `changeStream` on a replica set or sharded cluster
   * (with `changeStreams: 'auto'`), else `polling`. Runs the detection (one `hello`) once.
   */
  wakeUpMode(): Promise<WakeUpMode>;
}

/** What @mqkit/mongodb supports: delays, priority and deduplication; no per-key ordering. */
export const mongoCapabilities: Capabilities = Object.freeze({
  delay: true,
  priority: true,
  ordering: false,
  deduplication: true,
});

const PROVIDER_KEYS = [
  'db',
  'client',
  'dbName',
  'collection',
  'changeStreams',
  'retention',
] as const;

interface ResolvedMongoOptions {
  readonly db: () => Db;
  readonly collection: string;
  readonly changeStreams: 'auto' | false;
  readonly retention: RetentionOptions;
}

const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/;

function resolveMongoOptions(options: MongoQueueOptions | undefined): ResolvedMongoOptions {
  const check = new Checker(PROVIDER);
  const o = (options ?? {}) as Record<string, unknown>;
  const hasDb = o.db !== undefined;
  const hasClient = o.client !== undefined;
  if (hasDb === hasClient) {
    throw check.error(
      hasDb ? 'client' : 'db',
      hasDb
        ? 'cannot be combined with "db": give either a Db, or a MongoClient (and "dbName")'
        : 'is required: give a Db ({ db: client.db("app") }) or a MongoClient ({ client, dbName })',
    );
  }
  if (hasDb) {
    const db = o.db as { collection?: unknown; command?: unknown };
    if (typeof db !== 'object' || db === null || typeof db.collection !== 'function')
      throw check.error('db', 'must be a mongodb Db (from client.db(name))');
    if (o.dbName !== undefined)
      throw check.error('dbName', 'only applies with "client" (the Db already names a database)');
  } else {
    const client = o.client as { db?: unknown };
    if (typeof client !== 'object' || client === null || typeof client.db !== 'function')
      throw check.error('client', 'must be a mongodb MongoClient');
  }
  const dbName = check.string(o.dbName, 'dbName');
  const collection = check.string(o.collection, 'collection', DEFAULT_COLLECTION) as string;
  if (!COLLECTION_NAME.test(collection))
    throw check.error(
      'collection',
      `must be a valid MongoDB collection name: 1–120 characters, no "$", not starting with "system." (got ${JSON.stringify(collection)})`,
    );
  if (o.changeStreams !== undefined && o.changeStreams !== 'auto' && o.changeStreams !== false)
    throw check.error('changeStreams', `must be 'auto' or false (got ${String(o.changeStreams)})`);
  const r = check.optionalObject(o.retention, 'retention', ['completedMs', 'deadLettersMs']);
  const retention: RetentionOptions = {};
  if (r.completedMs !== undefined)
    retention.completedMs = check.int(
      r.completedMs,
      'retention.completedMs',
      1_000,
      MAX_RETENTION_MS,
      0,
    );
  if (r.deadLettersMs !== undefined)
    retention.deadLettersMs = check.int(
      r.deadLettersMs,
      'retention.deadLettersMs',
      1_000,
      MAX_RETENTION_MS,
      0,
    );
  let db: Db | undefined;
  return {
    // Resolved on first use: `client.db()` is cheap and does not connect, but keep it lazy anyway.
    db: () => {
      db ??= hasDb ? (o.db as Db) : (o.client as MongoClient).db(dbName);
      return db;
    },
    collection,
    changeStreams: (o.changeStreams as 'auto' | false | undefined) ?? 'auto',
    retention,
  };
}

function backendError(operation: string, error: unknown): unknown {
  return toBackendError(PROVIDER, operation, error);
}

/**
 * Creates a MongoDB-backed queue on the user's `Db` or `MongoClient` (never closed by mqkit).
 * Messages of every queue share one collection; claims are atomic lease updates fenced by a
 * token, so any number of processes may consume one queue. Nothing touches the server until the
 * first operation (or `init()`). Throws {@link ConfigurationError} on invalid options.
 */
export function createMongoQueue<M extends PayloadMap = PayloadMap>(
  options: MongoQueueOptions,
): MongoQueue<M> {
  const resolved = resolveQueueOptions(options, PROVIDER, PROVIDER_KEYS);
  const mongo = resolveMongoOptions(options);
  const { logger, lifecycle, serializer } = resolved;
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle, serializer });
  let collectionHandle: Collection<MessageDocument> | undefined;
  const collection = (): Collection<MessageDocument> => {
    collectionHandle ??= mongo.db().collection<MessageDocument>(mongo.collection);
    return collectionHandle;
  };
  const publisher = createPublishKit({
    provider: PROVIDER,
    capabilities: mongoCapabilities,
    options: resolved,
    customIds: options.generateId !== undefined,
  });

  let initPromise: Promise<void> | undefined;
  function init(): Promise<void> {
    initPromise ??= ensureIndexes(collection(), mongo.retention).catch((error: unknown) => {
      initPromise = undefined;
      throw backendError('init (creating indexes)', error);
    });
    return initPromise;
  }

  const hub = createWakeHub({
    db: mongo.db,
    collection,
    changeStreams: mongo.changeStreams,
    logger,
  });

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const { prepared, ids } = publisher.prepare(queue, input);
    const qualified = qualifyQueueName(resolved.namespace, queue);
    const now = Date.now();
    const givenIds: string[] = [];
    const docs = new Array<MessageDocument>(prepared.length);
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as (typeof prepared)[number];
      if (p.id !== undefined) givenIds.push(p.id);
      docs[i] = toDocument(p, ids[i] as string, qualified, now);
    }
    let inserted: MessageDocument[];
    try {
      await init();
      inserted = await insertDeduplicated(collection(), qualified, docs, givenIds);
    } catch (error) {
      throw backendError('publish', error);
    }
    hub.notify(qualified);
    // Deduplicated inputs were not stored: they are not "published" for metrics.
    const fresh = new Set(inserted);
    const stored: number[] = [];
    for (let i = 0; i < docs.length; i++) if (fresh.has(docs[i] as MessageDocument)) stored.push(i);
    publisher.done(queue, prepared, ids, stored);
    return { ids };
  }

  function consume(
    queue: string,
    handler: Handler<MessageOf<M>>,
    consumeOptions?: ConsumeOptions,
  ): Consumer {
    return consumers.start(queue, handler as Handler, consumeOptions, (options) => {
      hub.retain();
      return {
        backend: createMongoBackend({
          collection: collection(),
          ready: init,
          qualified: qualifyQueueName(resolved.namespace, queue),
          defaultMaxAttempts: options.retry.maxAttempts,
          completedRetention: mongo.retention.completedMs !== undefined,
          hub,
        }),
      };
    });
  }

  async function stats(queue: string): Promise<QueueStats> {
    consumers.assertUsable(queue);
    const now = new Date();
    try {
      await init();
      const raw = await readStats(collection(), qualifyQueueName(resolved.namespace, queue), now);
      return toQueueStats(queue, raw, now.getTime());
    } catch (error) {
      throw backendError('stats', error);
    }
  }

  async function peek(queue: string, peekOptions?: PeekOptions): Promise<MessageOf<M>[]> {
    consumers.assertUsable(queue);
    const limit = resolvePeekOptions(peekOptions, PROVIDER);
    try {
      await init();
      const params = { serializer, defaultMaxAttempts: consumeDefaults.retry.maxAttempts };
      const stored = qualifyQueueName(resolved.namespace, queue);
      return (await peekMessages(collection(), params, stored, queue, limit)) as MessageOf<M>[];
    } catch (error) {
      throw backendError('peek', error);
    }
  }

  async function queues(): Promise<string[]> {
    try {
      await init();
      return namesInNamespace(await readQueueNames(collection()), resolved.namespace);
    } catch (error) {
      throw backendError('queues', error);
    }
  }

  function health(healthOptions?: HealthOptions): Promise<HealthReport> {
    return checkHealth({
      provider: PROVIDER,
      options: healthOptions,
      ping: () => mongo.db().command({ ping: 1 }),
      consumers: consumers.health,
    });
  }

  return {
    provider: PROVIDER,
    capabilities: mongoCapabilities,
    collectionName: mongo.collection,
    stats,
    health,
    peek,
    queues,
    init,
    wakeUpMode: () => hub.detect(),
    publish: publish as MongoQueue<M>['publish'],
    consume,
    deadLetters: createDeadLetterStore<MessageOf<M>>({
      collection,
      ready: init,
      namespace: resolved.namespace,
      serializer,
      defaultMaxAttempts: consumeDefaults.retry.maxAttempts,
      notify: hub.notify,
    }),
    async close(stopOptions) {
      await consumers.close(stopOptions);
      await hub.close();
    },
  };
}

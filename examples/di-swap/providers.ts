import type { MessageQueue, QueueOptions } from '@mqkit/core';
import { createKinesisQueue } from '@mqkit/kinesis';
import { createMemoryQueue } from '@mqkit/memory';
import { createMongoQueue } from '@mqkit/mongodb';
import { createPrismaQueue } from '@mqkit/prisma';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { MongoClient } from 'mongodb';
import type { ShopEvents } from './app/events.js';
import { PrismaClient as MysqlPrismaClient } from './generated/mysql/client/client.js';
import { PrismaClient as PostgresPrismaClient } from './generated/postgresql/client/client.js';

/** What the environment says about the queue backend. */
export interface QueueConfig {
  /** Key of {@link queueProviders}, from `MQKIT_PROVIDER` (default `memory`). */
  readonly provider: string;
  /** From `MQKIT_NAMESPACE` (e.g. the environment name); none by default. */
  readonly namespace: string | undefined;
  /** From `DATABASE_URL`; each database provider has a local default. Never logged. */
  readonly databaseUrl: string | undefined;
}

/**
 * A queue and what the composition root opened for it. The application sees only `queue`;
 * `dispose` closes the queue (draining its consumers) and then the client behind it.
 */
export interface QueueBackend {
  readonly queue: MessageQueue<ShopEvents>;
  dispose(): Promise<void>;
}

/** Builds the backend; `options` are common queue options the composition root adds (lifecycle, logger, …). */
type BackendFactory = (config: QueueConfig, options?: QueueOptions) => QueueBackend;

/** `queue.close()`, then the user-owned client: mqkit never closes a client you passed in. */
const backend = (
  queue: MessageQueue<ShopEvents>,
  closeClient: () => Promise<void> = async () => {},
): QueueBackend => ({
  queue,
  async dispose() {
    try {
      await queue.close({ timeoutMs: 5_000 });
    } finally {
      // Without this the client's connection pool keeps the process alive after close().
      await closeClient();
    }
  },
});

/**
 * The one place that knows the providers: swapping the backend is choosing another key here
 * (or setting `MQKIT_PROVIDER`). The application code under `app/` never changes.
 */
export const queueProviders: Readonly<Record<string, BackendFactory>> = {
  memory: (c, options) =>
    backend(createMemoryQueue<ShopEvents>({ ...options, namespace: c.namespace })),

  'prisma-postgresql': (c, options) => {
    const prisma = new PostgresPrismaClient({
      adapter: new PrismaPg({
        connectionString: c.databaseUrl ?? 'postgresql://postgres@127.0.0.1:5432/test',
      }),
    });
    const queue = createPrismaQueue<ShopEvents>({
      ...options,
      prisma,
      namespace: c.namespace,
      applyMigrations: true, // init() creates the tables if needed (idempotent)
    });
    return backend(queue, () => prisma.$disconnect());
  },

  'prisma-mariadb': (c, options) => {
    const prisma = new MysqlPrismaClient({
      adapter: new PrismaMariaDb(c.databaseUrl ?? 'mariadb://root@127.0.0.1:3306/test'),
    });
    const queue = createPrismaQueue<ShopEvents>({
      ...options,
      prisma,
      namespace: c.namespace,
      applyMigrations: true,
    });
    return backend(queue, () => prisma.$disconnect());
  },

  mongodb: (c, options) => {
    const client = new MongoClient(
      c.databaseUrl ?? 'mongodb://127.0.0.1:27017/?directConnection=true',
    );
    const queue = createMongoQueue<ShopEvents>({
      ...options,
      client,
      dbName: 'mqkit_examples',
      namespace: c.namespace,
    });
    return backend(queue, () => client.close());
  },

  // Kinesis (stream `<namespace>.orders`) with shard leases and checkpoints in Redis.
  // KINESIS_ENDPOINT points at kinesalite or LocalStack; unset, the AWS endpoint of AWS_REGION.
  kinesis: (c, options) =>
    backend(
      createKinesisQueue<ShopEvents>({
        ...options,
        namespace: c.namespace,
        kinesis: { endpoint: process.env.KINESIS_ENDPOINT },
        redis: process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379',
        autoCreate: { shardCount: 1 }, // development: create the stream when it is missing
      }),
    ),
};

/** Reads {@link QueueConfig} from environment variables. */
export function readQueueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  return {
    provider: env.MQKIT_PROVIDER || 'memory',
    namespace: env.MQKIT_NAMESPACE || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
  };
}

/**
 * Creates the configured backend (no I/O yet: call `queue.init()` next), with optional common
 * queue options (e.g. a metrics lifecycle). Throws naming the accepted values for an unknown provider.
 */
export function createQueueBackend(config: QueueConfig, options?: QueueOptions): QueueBackend {
  const factory = Object.hasOwn(queueProviders, config.provider)
    ? queueProviders[config.provider]
    : undefined;
  if (factory === undefined) {
    throw new Error(
      `MQKIT_PROVIDER="${config.provider}" is not a known provider (accepted: ${Object.keys(queueProviders).join(', ')})`,
    );
  }
  return factory(config, options);
}

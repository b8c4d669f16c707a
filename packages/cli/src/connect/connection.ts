import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type MessageQueue, ValidationError } from '@mqkit/core';
import { redactSecrets } from '@mqkit/core/provider';
import { createMongoQueue } from '@mqkit/mongodb';
import { createPrismaQueue } from '@mqkit/prisma';
import type { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { openKinesis } from './kinesis.js';
import { mariadbClient, pgClient } from './sql-client.js';

/** The backends the CLI connects to, told apart by the URL's scheme. */
export type BackendKind = 'postgresql' | 'mysql' | 'mongodb' | 'kinesis';

/** Environment variables the CLI reads, one per backend (the `--url` flag wins over all). */
export const CONNECTION_ENV = {
  /** PostgreSQL or MySQL/MariaDB (`postgres://…`, `mysql://…`, `mariadb://…`): @mqkit/prisma's tables. */
  database: 'MQKIT_DATABASE_URL',
  /** MongoDB (`mongodb://…`, `mongodb+srv://…`): @mqkit/mongodb's collection. */
  mongodb: 'MQKIT_MONGODB_URL',
  /** Kinesis: the Redis holding @mqkit/kinesis's leases, checkpoints and dead letters (`redis://…`). */
  redis: 'MQKIT_REDIS_URL',
} as const;

/** Connection flags common to every command. */
export interface ConnectionFlags {
  readonly url?: string;
  readonly namespace?: string;
  /** @mqkit/prisma message table (default `mqkit_messages`). */
  readonly table?: string;
  /** @mqkit/mongodb collection (default `mqkit_messages`). */
  readonly collection?: string;
  /** MongoDB database (default: the URL's). */
  readonly database?: string;
  /** Connect/select timeout in ms. */
  readonly timeoutMs: number;
  /** Kinesis endpoint (kinesalite, LocalStack); default AWS's for the region. */
  readonly kinesisEndpoint?: string;
  /** AWS region of the stream. */
  readonly region?: string;
  /** @mqkit/kinesis `keyPrefix` (default `mqkit`). */
  readonly keyPrefix?: string;
  /** @mqkit/kinesis `streams`: queues the app maps to a stream explicitly (Kinesis only). */
  readonly streams?: Readonly<Record<string, string>>;
}

/** Where the CLI connects: the backend, its URL, and where the URL came from (for messages). */
export interface ResolvedConnection {
  readonly kind: BackendKind;
  readonly url: string;
  readonly source: string;
}

const SCHEMES: Record<string, BackendKind> = {
  'postgres:': 'postgresql',
  'postgresql:': 'postgresql',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'mongodb:': 'mongodb',
  'mongodb+srv:': 'mongodb',
  'redis:': 'kinesis',
  'rediss:': 'kinesis',
};

/**
 * Pure: picks the URL (`--url`, else the one connection variable that is set) and its backend.
 * Throws {@link ValidationError} with what to do when none or several are set, or the URL is
 * not one the CLI can use. The URL is never echoed with its credentials.
 */
export function resolveConnection(
  flags: Pick<ConnectionFlags, 'url'>,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedConnection {
  let url = flags.url;
  let source = '--url';
  if (url === undefined) {
    const set = Object.values(CONNECTION_ENV).filter((name) => env[name]);
    if (set.length === 0) {
      throw new ValidationError(
        `no connection: pass --url or set ${Object.values(CONNECTION_ENV).join(' or ')}`,
      );
    }
    if (set.length > 1) {
      throw new ValidationError(`${set.join(' and ')} are both set: pass --url to choose one`);
    }
    source = set[0] as string;
    url = env[source] as string;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`${source} is not a URL (expected e.g. postgres://host:5432/db)`);
  }
  const kind = SCHEMES[parsed.protocol];
  if (kind === undefined) {
    throw new ValidationError(
      `${source} has scheme "${parsed.protocol}" (${redactSecrets(url)}); use postgres://, mysql://, mariadb://, mongodb:// or redis:// (Kinesis)`,
    );
  }
  return { kind, url, source };
}

/** A queue opened by the CLI and how to release what was opened for it. */
export interface OpenQueue {
  readonly queue: MessageQueue;
  readonly kind: BackendKind;
  /** The Kinesis and Redis clients, for the shard commands (Kinesis only). */
  readonly kinesis?: { readonly client: KinesisClient; readonly redis: Redis };
  close(): Promise<void>;
}

// The CLI reports errors itself, one line each: the providers' own logs stay quiet.
const quiet = pino({ level: process.env.MQKIT_LOG_LEVEL ?? 'silent' });

/** Opens a queue on the resolved backend (no I/O until the first command runs). */
export function openQueue(connection: ResolvedConnection, flags: ConnectionFlags): OpenQueue {
  const common = { namespace: flags.namespace, logger: quiet };
  if (flags.streams !== undefined && connection.kind !== 'kinesis')
    throw new ValidationError(
      `--stream applies to Kinesis only (this connection is ${connection.kind})`,
    );
  if (connection.kind === 'mongodb') {
    const client = new MongoClient(connection.url, {
      serverSelectionTimeoutMS: flags.timeoutMs,
      connectTimeoutMS: flags.timeoutMs,
    });
    const queue = createMongoQueue({
      ...common,
      client,
      dbName: flags.database,
      collection: flags.collection,
      changeStreams: false,
    });
    return {
      queue,
      kind: connection.kind,
      async close() {
        await queue.close({ timeoutMs: 0 });
        await client.close();
      },
    };
  }
  if (connection.kind === 'kinesis') return openKinesis(connection, flags, common);
  const sql =
    connection.kind === 'postgresql'
      ? pgClient(connection.url, flags.timeoutMs)
      : mariadbClient(connection.url, flags.timeoutMs);
  const queue = createPrismaQueue({
    ...common,
    prisma: sql,
    dialect: connection.kind,
    table: flags.table,
  });
  return {
    queue,
    kind: connection.kind,
    async close() {
      await queue.close({ timeoutMs: 0 });
      await sql.end();
    },
  };
}

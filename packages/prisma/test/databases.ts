// Test databases for @mqkit/prisma: the development machines run PostgreSQL on 127.0.0.1:5432
// and MariaDB on 127.0.0.1:3306 (DESIGN.md "Tests and services"); env vars override.
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { applyMigrations } from '../src/index.js';
import { PrismaClient as MysqlClient } from './generated/mysql/client/client.js';
import { PrismaClient as PostgresClient } from './generated/postgresql/client/client.js';

/** PostgreSQL connection string of the tests. */
export const POSTGRES_URL =
  process.env.MQKIT_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
/** MariaDB/MySQL connection string of the tests. */
export const MARIADB_URL = process.env.MQKIT_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/test';

/** A test database: a client factory and a reachability probe. */
export interface TestDatabase {
  readonly dialect: 'postgresql' | 'mysql';
  readonly label: string;
  readonly url: string;
  /** Creates a new PrismaClient (the caller disconnects it). */
  client(options?: { max?: number }): PostgresClient | MysqlClient;
}

/** A PrismaClient on a PostgreSQL database (the caller disconnects it). */
export const postgresClient = (url: string, max = 10): PostgresClient =>
  new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max }) });

export const postgres: TestDatabase = {
  dialect: 'postgresql',
  label: 'prisma/postgresql',
  url: POSTGRES_URL,
  client: (options) => postgresClient(POSTGRES_URL, options?.max ?? 10),
};

/** A PrismaClient on a MariaDB/MySQL database (the caller disconnects it); `url` may carry pool options. */
export const mariadbClient = (url: string): MysqlClient =>
  new MysqlClient({ adapter: new PrismaMariaDb(url) });

export const mariadb: TestDatabase = {
  dialect: 'mysql',
  label: 'prisma/mariadb',
  url: MARIADB_URL,
  client: (options) =>
    new MysqlClient({
      adapter: new PrismaMariaDb(`${MARIADB_URL}?connectionLimit=${options?.max ?? 10}`),
    }),
};

/** Resolves to `undefined` when reachable (tables created), else to the reason. */
export async function probe(db: TestDatabase): Promise<string | undefined> {
  const client = db.client({ max: 1 });
  try {
    await withTimeout(client.$queryRawUnsafe('SELECT 1'), 5_000);
    await applyMigrations(client);
    return undefined;
  } catch (error) {
    return `${db.url.replace(/\/\/[^@]*@/, '//')} unreachable: ${error instanceof Error ? error.message.trim().split('\n')[0] : String(error)}`;
  } finally {
    await client.$disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    Promise.resolve(promise).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A queue name no other test uses. */
export const uniqueQueue = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

import type { PrismaClientLike, PrismaRawClient } from '@mqkit/prisma';
import { createPool as createMariaPool } from 'mariadb';
import pg from 'pg';

/** A {@link PrismaClientLike} over a plain driver pool, plus a way to end the pool. */
export interface SqlClient extends PrismaClientLike {
  end(): Promise<void>;
}

/**
 * @mqkit/prisma needs only raw SQL and transactions, so the CLI talks to the database through the
 * `pg` driver instead of a generated PrismaClient (operators have no schema to generate from).
 */
export function pgClient(url: string, timeoutMs: number): SqlClient {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: timeoutMs });
  // An idle client's error (server restart) must not crash the CLI: the next query reports it.
  pool.on('error', () => undefined);
  const raw = (
    run: (sql: string, values: unknown[]) => Promise<pg.QueryResult>,
  ): PrismaRawClient => ({
    async $queryRawUnsafe<T>(sql: string, ...values: unknown[]) {
      return (await run(sql, values)).rows as T;
    },
    async $executeRawUnsafe(sql: string, ...values: unknown[]) {
      return (await run(sql, values)).rowCount ?? 0;
    },
  });
  return {
    ...raw((sql, values) => pool.query(sql, values)),
    async $transaction<R>(fn: (tx: PrismaRawClient) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(raw((sql, values) => client.query(sql, values)));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    end: () => pool.end(),
  };
}

/** The same over the `mariadb` driver (MariaDB and MySQL); DATETIME values are UTC, as mqkit writes them. */
export function mariadbClient(url: string, timeoutMs: number): SqlClient {
  const u = new URL(url);
  const pool = createMariaPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password) || undefined,
    database: u.pathname.replace(/^\//, '') || undefined,
    connectionLimit: 2,
    connectTimeout: timeoutMs,
    acquireTimeout: timeoutMs + 1_000,
    timezone: 'Z',
    bigIntAsNumber: true,
  });
  type Conn = { query(sql: string, values?: unknown): Promise<unknown> };
  const raw = (conn: Conn): PrismaRawClient => ({
    async $queryRawUnsafe<T>(sql: string, ...values: unknown[]) {
      return (await conn.query(sql, values)) as T;
    },
    async $executeRawUnsafe(sql: string, ...values: unknown[]) {
      const result = (await conn.query(sql, values)) as { affectedRows?: number };
      return Number(result.affectedRows ?? 0);
    },
  });
  return {
    ...raw(pool),
    async $transaction<R>(fn: (tx: PrismaRawClient) => Promise<R>): Promise<R> {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const result = await fn(raw(conn));
        await conn.commit();
        return result;
      } catch (error) {
        await conn.rollback().catch(() => undefined);
        throw error;
      } finally {
        await conn.release();
      }
    },
    end: () => pool.end(),
  };
}

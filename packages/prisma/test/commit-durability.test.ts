// PostgreSQL: a consumer's claims and acks commit with synchronous_commit = off (their own
// transaction only) unless `consumerSynchronousCommit` is set; publishes always wait for the WAL
// flush. Each statement is run here inside an explicit transaction that then reads the setting
// the statement left for its commit.
import { afterAll, describe, expect, it } from 'vitest';
import type { PrismaRawClient } from '../src/client.js';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { tablesFor } from '../src/sql/identifiers.js';
import { postgresqlStore } from '../src/sql/postgresql.js';
import { POSTGRES_URL, postgres, postgresClient, probe } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: ${postgres.label} commit durability — ${unreachable}`);

describe.runIf(unreachable === undefined)(`${postgres.label} commit durability`, () => {
  const prisma = postgresClient(POSTGRES_URL, 2);
  const schema = `mqkit_test_commit_${Math.random().toString(36).slice(2, 8)}`;
  const table = `${schema}.work`;
  afterAll(async () => {
    await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await prisma.$disconnect();
  });

  /** A client that runs each statement in a transaction and records the commit setting it left. */
  const recording = (settings: string[]): PrismaRawClient => {
    const run = <T>(statement: (tx: PrismaRawClient) => PromiseLike<T>) =>
      prisma.$transaction(async (tx) => {
        const result = await statement(tx);
        const [row] = await tx.$queryRawUnsafe<{ s: string }[]>(
          "SELECT current_setting('synchronous_commit') AS s",
        );
        settings.push(String(row?.s));
        return result;
      });
    return {
      $queryRawUnsafe: (sql, ...values) => run((tx) => tx.$queryRawUnsafe(sql, ...values)),
      $executeRawUnsafe: (sql, ...values) => run((tx) => tx.$executeRawUnsafe(sql, ...values)),
    };
  };

  it('claims and acks commit asynchronously by default, publishes synchronously; the option makes them wait', async () => {
    await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await applyMigrations(prisma, { table });
    const queue = createPrismaQueue({ prisma, table, logger: silent });
    const tables = tablesFor(table, `${table}_dead_letters`, 'postgresql');

    for (const [options, expected] of [
      [{}, 'off'],
      [{ consumerSynchronousCommit: true }, 'on'],
    ] as const) {
      const settings: string[] = [];
      const store = postgresqlStore(recording(settings), tables, options);
      await store.insert(
        'q',
        [0, 1].map((i) => ({
          id: `m${i}-${expected}`,
          type: 't',
          payload: String(i),
          headers: null,
          partitionKey: null,
          priority: 0,
          maxAttempts: null,
          delayMs: 0,
        })),
        { notify: true, report: false, freshIds: false },
      );
      const claimed = await store.claim('q', 10, 30_000, `token-${expected}`);
      expect(claimed.map((r) => r.id).sort()).toEqual([`m0-${expected}`, `m1-${expected}`]);
      await store.ack(
        'q',
        claimed.map((r) => ({ id: r.id, token: `token-${expected}` })),
      );
      // insert, claim, ack
      expect(settings).toEqual(['on', expected, expected]);
      expect(await queue.stats('q')).toMatchObject({ ready: 0, inFlight: 0 });
    }
    // The setting never outlives the statement's transaction.
    const [row] = await prisma.$queryRawUnsafe<{ s: string }[]>(
      "SELECT current_setting('synchronous_commit') AS s",
    );
    expect(row?.s).toBe('on');
    await queue.close();
  });
});

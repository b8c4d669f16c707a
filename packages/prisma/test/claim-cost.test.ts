// PostgreSQL claims and acks read O(batch) rows whatever the table holds and whatever its
// statistics say (migration 004). Before 004 the claim function's generic plan joined the claimed
// rows back to the table with a hash join over a full primary-key scan, and on a table without
// statistics every ack (a DELETE joined to the batch) read the whole queue.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { tablesFor } from '../src/sql/identifiers.js';
import { postgresqlStore } from '../src/sql/postgresql.js';
import { POSTGRES_URL, postgres, postgresClient, probe } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: ${postgres.label} claim cost — ${unreachable}`);

describe.runIf(unreachable === undefined)(`${postgres.label} claim cost`, () => {
  const prisma = postgresClient(POSTGRES_URL, 2);
  const schema = `mqkit_test_claim_${Math.random().toString(36).slice(2, 8)}`;
  // Rows and index entries the transaction `tx` has read so far from the table (sequential scans)
  // and all its indexes ($1 the table).
  const entriesRead = async (tx: Pick<typeof prisma, '$queryRawUnsafe'>, table: string) => {
    const rows = await tx.$queryRawUnsafe<{ n: bigint | number }[]>(
      `SELECT sum(pg_stat_get_xact_tuples_returned(r))::bigint AS n FROM (
         SELECT to_regclass($1) AS r UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = to_regclass($1)
       ) AS s`,
      table,
    );
    return Number(rows[0]?.n ?? 0);
  };
  afterAll(async () => {
    await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await prisma.$disconnect();
  });

  it('a claim of 10 from a table of 5,000 ready rows reads a few dozen rows and index entries, not the table', async () => {
    await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const table = `${schema}.work`;
    await applyMigrations(prisma, { table });
    const queue = createPrismaQueue({ prisma, table, logger: silent });
    await queue.publish(
      'deep',
      Array.from({ length: 5_000 }, (_, i) => ({ type: 't', payload: i })),
    );
    // Statistics that know the table is big: the planner's generic plan then prefers the hash join.
    await prisma.$executeRawUnsafe(`ANALYZE "${schema}"."work"`);
    const read = await prisma.$transaction(async (tx) => {
      const before = await entriesRead(tx, `"${schema}"."work"`);
      const claimed = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT * FROM "${schema}"."work_claim_in_order"($1, $2::int, $3, $4::bigint)`,
        'deep',
        10,
        'token',
        30_000,
      );
      expect(claimed).toHaveLength(10);
      return (await entriesRead(tx, `"${schema}"."work"`)) - before;
    });
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(100);
  });

  it('an ack of 10 from a never-analyzed table of 5,000 rows reads a few dozen rows and index entries, not the queue', async () => {
    await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const table = `${schema}.fresh`;
    await applyMigrations(prisma, { table });
    // No statistics, as in the first minute of a new queue table (or after analyzing it empty).
    await prisma.$executeRawUnsafe(
      `ALTER TABLE "${schema}"."fresh" SET (autovacuum_enabled = off)`,
    );
    const queue = createPrismaQueue({ prisma, table, logger: silent });
    await queue.publish(
      'deep',
      Array.from({ length: 5_000 }, (_, i) => ({ type: 't', payload: i })),
    );
    const tables = tablesFor(table, `${table}_dead_letters`, 'postgresql');
    const token = randomUUID();
    const claimed = await postgresqlStore(prisma, tables).claim('deep', 10, 30_000, token);
    expect(claimed).toHaveLength(10);
    const read = await prisma.$transaction(async (tx) => {
      const before = await entriesRead(tx, `"${schema}"."fresh"`);
      await postgresqlStore(tx, tables).ack(
        'deep',
        claimed.map((row) => ({ id: row.id, token })),
      );
      return (await entriesRead(tx, `"${schema}"."fresh"`)) - before;
    });
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(100);
    const left = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM "${schema}"."fresh"`,
    );
    expect(left[0]?.n).toBe(4_990);
  });
});

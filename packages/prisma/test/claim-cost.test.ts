// The PostgreSQL claim reads O(limit) rows whatever the table holds (migration 004). Before 004
// the claim function's generic plan joined the claimed rows back to the table with a hash join
// over a full scan of the primary key, so every claim read every row of the table.
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { POSTGRES_URL, postgres, postgresClient, probe } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: ${postgres.label} claim cost — ${unreachable}`);

describe.runIf(unreachable === undefined)(`${postgres.label} claim cost`, () => {
  const prisma = postgresClient(POSTGRES_URL, 2);
  const schema = `mqkit_test_claim_${Math.random().toString(36).slice(2, 8)}`;
  afterAll(async () => {
    await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await prisma.$disconnect();
  });

  it('a claim of 10 from a table of 5,000 ready rows reads a few dozen rows and index entries, not the table', async () => {
    await prisma.$executeRawUnsafe(`CREATE SCHEMA "${schema}"`);
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
      // Rows and index entries this transaction has read so far from the table (sequential
      // scans) and all its indexes ($1 the table).
      const entriesRead = async () => {
        const rows = await tx.$queryRawUnsafe<{ n: bigint | number }[]>(
          `SELECT sum(pg_stat_get_xact_tuples_returned(r))::bigint AS n FROM (
             SELECT to_regclass($1) AS r UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = to_regclass($1)
           ) AS s`,
          `"${schema}"."work"`,
        );
        return Number(rows[0]?.n ?? 0);
      };
      const before = await entriesRead();
      const claimed = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT * FROM "${schema}"."work_claim_in_order"($1, $2::int, $3, $4::bigint)`,
        'deep',
        10,
        'token',
        30_000,
      );
      expect(claimed).toHaveLength(10);
      return (await entriesRead()) - before;
    });
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(100);
  });
});

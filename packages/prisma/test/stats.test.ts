// stats(): the fold of the grouped query (pure) and the plans of the statement on the real
// databases: one grouped read of the claim index, never a scan of the table.
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { tablesFor } from '../src/sql/identifiers.js';
import { foldStatsRows, statsSql } from '../src/stats/queries.js';
import { mariadb, postgres, probe, type TestDatabase, uniqueQueue } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('foldStatsRows', () => {
  it('sums the groups and turns the database-computed age into a due time on the app clock', () => {
    const raw = foldStatsRows(
      [
        { kind: 'due', n: '3', oldest_age_ms: '1500' },
        { kind: 'delayed', n: 2n, oldest_age_ms: null },
        { kind: 'leased', n: 1, oldest_age_ms: null },
        { kind: 'dead', n: '4', oldest_age_ms: null },
      ],
      10_000,
    );
    expect(raw).toEqual({
      ready: 3,
      delayed: 2,
      inFlight: 1,
      deadLettered: 4,
      oldestReadyAt: 8_500,
    });
  });
  it('an empty queue is all zeros with no oldest message', () => {
    expect(foldStatsRows([{ kind: 'dead', n: 0, oldest_age_ms: null }], 1)).toEqual({
      ready: 0,
      delayed: 0,
      inFlight: 0,
      deadLettered: 0,
      oldestReadyAt: undefined,
    });
  });
});

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} stats plan — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} stats plan`, () => {
    const clients: ReturnType<TestDatabase['client']>[] = [];
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.$disconnect()));
    });

    it('stats() is one grouped statement that reads an index range of the queue, never the whole table', async () => {
      const prisma = db.client({ max: 2 });
      clients.push(prisma);
      // A table of our own, so the planner sees known data: 40 queues of 100 messages.
      const suffix = Math.random().toString(36).slice(2, 8);
      const table = `stats_${suffix}`;
      await applyMigrations(prisma, { table });
      try {
        const mq = createPrismaQueue({ prisma, table, logger: silent });
        const queues = Array.from({ length: 40 }, () => uniqueQueue('statsplan'));
        for (const queue of queues)
          await mq.publish(
            queue,
            Array.from({ length: 100 }, (_, i) => ({
              type: 't',
              payload: i,
              delayMs: i % 2 ? 60_000 : 0,
            })),
          );
        const queue = queues[7] as string;
        const stats = await mq.stats(queue);
        expect([stats.ready, stats.delayed, stats.inFlight, stats.deadLettered]).toEqual([
          50, 50, 0, 0,
        ]);
        await mq.close();
        const sql = statsSql(tablesFor(table, `${table}_dead_letters`, db.dialect), db.dialect);
        if (db.dialect === 'postgresql') {
          await prisma.$executeRawUnsafe(`ANALYZE "${table}"`);
          const rows = await prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
            `EXPLAIN ${sql}`,
            queue,
          );
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(plan).toMatch(
            new RegExp(`(Index Scan using|Bitmap Index Scan on) ${table}_claim_idx`),
          );
          expect(plan).not.toMatch(/Seq Scan/);
        } else {
          await prisma.$executeRawUnsafe(`ANALYZE TABLE \`${table}\``);
          const rows = await prisma.$queryRawUnsafe<
            { table: string; key: string | null; type: string }[]
          >(`EXPLAIN ${sql}`, queue, queue);
          // InnoDB reads the queue's rows as one range of the clustered primary key (queue, id) or
          // of the claim index (queue, priority, run_at): either way only that queue, never ALL.
          const messages = rows.find((r) => r.table === table);
          expect(messages?.type).toMatch(/^(ref|range)$/);
          expect(messages?.key).toMatch(new RegExp(`^(PRIMARY|${table}_claim_idx)$`));
        }
      } finally {
        if (db.dialect === 'postgresql') {
          await prisma.$executeRawUnsafe(
            `DROP TABLE IF EXISTS "${table}", "${table}_dead_letters" CASCADE`,
          );
          await prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS "${table}_claim"`);
        } else
          await prisma.$executeRawUnsafe(
            `DROP TABLE IF EXISTS \`${table}\`, \`${table}_dead_letters\``,
          );
      }
    });
  });
}

import { describe, expect, it } from 'vitest';
import { createPrismaQueue } from '../src/index.js';
import { mariadb, postgres, probe, uniqueQueue } from './databases.js';

for (const db of [postgres, mariadb]) {
  const reason = await probe(db);
  if (reason) console.log(`SKIPPED: ${db.label} smoke — ${reason}`);
  describe.runIf(reason === undefined)(`${db.label} smoke`, () => {
    it('publishes and consumes', async () => {
      const prisma = db.client();
      const queue = createPrismaQueue({ prisma });
      const q = uniqueQueue('smoke');
      await queue.publish(q, [
        { type: 'a', payload: { n: 1 }, headers: { x: 'y' } },
        { type: 'b', payload: 'it\'s {"q"} \\ ,', priority: 5 },
        { type: 'c', payload: 3, id: 'fixed' },
        { type: 'c', payload: 4, id: 'fixed' },
      ]);
      const got: unknown[] = [];
      const done = new Promise<void>((resolve) => {
        queue.consume(
          q,
          async (msgs) => {
            for (const m of msgs) got.push([m.type, m.payload, m.attempt, m.headers]);
            if (got.length >= 3) resolve();
          },
          { concurrency: 1, batchSize: 10 },
        );
      });
      await done;
      await queue.close();
      expect(got).toEqual([
        ['b', 'it\'s {"q"} \\ ,', 1, {}],
        ['a', { n: 1 }, 1, { x: 'y' }],
        ['c', 3, 1, {}],
      ]);
      await prisma.$disconnect();
    });
  });
}

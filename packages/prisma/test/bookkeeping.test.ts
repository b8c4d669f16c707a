// Bookkeeping on the real databases: the `published` event counts only inserted messages, and
// dead letters keep the maxAttempts their consumer applied (replay restores the message's own).
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaQueue } from '../src/index.js';
import { mariadb, postgres, probe, type TestDatabase, uniqueQueue } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} bookkeeping tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} bookkeeping`, () => {
    const clients: ReturnType<TestDatabase['client']>[] = [];
    const client = () => {
      const c = db.client({ max: 4 });
      clients.push(c);
      return c;
    };
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.$disconnect()));
    });
    const fast = { pollIntervalMs: 50, minPollIntervalMs: 10 };

    it('the published event lists only messages that were inserted (not deduplicated ones)', async () => {
      const published: string[][] = [];
      const prisma = client();
      const queue = createPrismaQueue({
        prisma,
        logger: silent,
        lifecycle: {
          name: 'p',
          onEvent: (e) =>
            void (e.type === 'published' && published.push(e.messages.map((m) => m.id))),
        },
      });
      const q = uniqueQueue('published');
      expect((await queue.publish(q, { id: 'x', type: 't', payload: 1 })).ids).toEqual(['x']);
      const second = await queue.publish(q, [
        { id: 'x', type: 't', payload: 2 },
        { id: 'y', type: 't', payload: 3 },
      ]);
      expect(second.ids).toEqual(['x', 'y']);
      expect((await queue.publish(q, { id: 'x', type: 't', payload: 4 })).ids).toEqual(['x']);
      // A delayed publish (no NOTIFY on PostgreSQL) reports the same way.
      await queue.publish(q, [
        { id: 'y', type: 't', payload: 5, delayMs: 60_000 },
        { id: 'z', type: 't', payload: 6, delayMs: 60_000 },
      ]);
      expect(published).toEqual([['x'], ['y'], ['z']]);
      // Nothing is left marked (MySQL reads back inserted ids through a marker in lease_token).
      const marked = await prisma.$queryRawUnsafe<unknown[]>(
        db.dialect === 'postgresql'
          ? 'SELECT id FROM mqkit_messages WHERE queue = $1 AND lease_token IS NOT NULL'
          : 'SELECT id FROM mqkit_messages WHERE queue = ? AND lease_token IS NOT NULL',
        q,
      );
      expect(marked).toEqual([]);
    });

    it('a dead letter shows the maxAttempts its consumer applied; replay restores the own value', async () => {
      const prisma = client();
      const queue = createPrismaQueue({ prisma, logger: silent });
      const q = uniqueQueue('dead-max');
      const other = uniqueQueue('dead-max-other');
      await queue.publish(q, [
        { id: 'none', type: 't', payload: 1 },
        { id: 'own', type: 't', payload: 2, maxAttempts: 3 },
      ]);
      const failing = queue.consume(
        q,
        async () => {
          throw new Error('boom');
        },
        { ...fast, retry: { maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1, jitter: 0 } } },
      );
      await until(async () => (await queue.deadLetters.count(q)) === 2);
      await failing.stop();
      // Another consume() on the same queue object, for another queue, with another maxAttempts.
      const later = queue.consume(other, async () => {}, { ...fast, retry: { maxAttempts: 9 } });
      await later.stop();

      const none = await queue.deadLetters.inspect(q, 'none');
      expect(none?.attempts).toBe(2);
      expect(none?.message.maxAttempts).toBe(2);
      const own = await queue.deadLetters.inspect(q, 'own');
      expect(own?.attempts).toBe(3);
      expect(own?.message.maxAttempts).toBe(3);
      expect((await queue.deadLetters.list(q)).map((d) => d.message.maxAttempts)).toEqual([2, 3]);

      expect(await queue.deadLetters.replay(q)).toBe(2);
      const seen = new Map<string, number>();
      const replayed = queue.consume(
        q,
        async ([m]) => {
          if (m !== undefined) seen.set(m.id, m.maxAttempts);
        },
        { ...fast, retry: { maxAttempts: 4 } },
      );
      await until(async () => seen.size === 2);
      await replayed.stop();
      // "none" had no maxAttempts of its own: the consumer's 4 applies, not the 2 it died with.
      expect(Object.fromEntries(seen)).toEqual({ none: 4, own: 3 });
    });
  });
}

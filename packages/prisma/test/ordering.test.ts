// Publish order and per-key ordering on the real databases, each case on its own freshly
// migrated tables (so a schema left behind by older code cannot make a case pass or fail).
import { randomBytes } from 'node:crypto';
import type { LifecycleEvent } from '@mqkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createPrismaQueue, type PrismaQueue } from '../src/index.js';
import { mariadb, postgres, probe, uniqueQueue } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST_RETRY = { maxAttempts: 5, backoff: { initialMs: 10, factor: 2, maxMs: 50, jitter: 0 } };

async function waitFor(predicate: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} ordering tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} ordering`, () => {
    const prisma = db.client({ max: 10 });
    const table = `ord_${randomBytes(4).toString('hex')}`;
    let migrated: Promise<void> | undefined;
    const queueOf = async (events?: LifecycleEvent[]): Promise<PrismaQueue> => {
      migrated ??= applyMigrations(prisma, { table });
      await migrated;
      return createPrismaQueue({
        prisma,
        table,
        logger: silent,
        lifecycle: events ? [{ name: 'rec', onEvent: (e) => void events.push(e) }] : [],
      });
    };
    afterAll(async () => {
      // Only this file's own tables (unique names), never the shared ones.
      const q = db.dialect === 'postgresql' ? '"' : '`';
      for (const t of [table, `${table}_dead_letters`])
        await prisma
          .$executeRawUnsafe(
            `DROP TABLE IF EXISTS ${q}${t}${q}${db.dialect === 'postgresql' ? ' CASCADE' : ''}`,
          )
          .catch(() => undefined);
      if (db.dialect === 'postgresql')
        for (const fn of ['claim', 'claim_in_order'])
          await prisma
            .$executeRawUnsafe(`DROP FUNCTION IF EXISTS "${table}_${fn}"`)
            .catch(() => undefined);
      await prisma.$disconnect();
    });

    it('delivers equal-priority messages in publish order, also within one millisecond', async () => {
      const mq = await queueOf();
      const queue = uniqueQueue('fifo');
      // One INSERT gives every row the same created_at/run_at: only a publish sequence orders them.
      await mq.publish(
        queue,
        Array.from({ length: 100 }, (_, i) => ({ type: 't', payload: i })),
      );
      const seen: number[] = [];
      const consumer = mq.consume(
        queue,
        async ([m]) => {
          seen.push(m?.payload as number);
        },
        { concurrency: 1, batchSize: 1 },
      );
      await waitFor(() => seen.length >= 100, 20_000, '100 deliveries');
      await consumer.stop();
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });

    it('one message per key in flight, in publish order, across two consumers, retries and a delayed head', async () => {
      const mq = await queueOf();
      const queue = uniqueQueue('keyed');
      const keys = ['a', 'b', 'c'];
      // The head of key "a" is delayed: nothing else of "a" may overtake it.
      await mq.publish(queue, {
        type: 't',
        payload: { key: 'a', n: 0 },
        partitionKey: 'a',
        delayMs: 400,
      });
      await mq.publish(
        queue,
        Array.from({ length: 60 }, (_, i) => ({
          type: 't',
          payload: { key: keys[i % 3], n: Math.floor(i / 3) + (i % 3 === 0 ? 1 : 0) },
          partitionKey: keys[i % 3] as string,
        })),
      );
      // Unkeyed messages flow alongside, unconstrained.
      await mq.publish(
        queue,
        Array.from({ length: 20 }, (_, i) => ({ type: 'free', payload: { key: '', n: i } })),
      );
      const inFlight = new Map<string, number>();
      let overlap = 0;
      const handled: { key: string; n: number }[] = [];
      const handler = async ([m]: readonly { payload: unknown; attempt: number }[]) => {
        const p = m?.payload as { key: string; n: number };
        if (p.key !== '') {
          const now = (inFlight.get(p.key) ?? 0) + 1;
          inFlight.set(p.key, now);
          if (now > 1) overlap++;
        }
        try {
          await sleep(Math.random() * 8);
          if (p.n % 5 === 2 && m?.attempt === 1) throw new Error('retry me');
          handled.push(p);
        } finally {
          if (p.key !== '') inFlight.set(p.key, (inFlight.get(p.key) ?? 1) - 1);
        }
      };
      const consumers = [
        mq.consume(queue, handler, { concurrency: 8, retry: FAST_RETRY }),
        mq.consume(queue, handler, { concurrency: 8, retry: FAST_RETRY, prefetch: 10 }),
      ];
      await waitFor(() => handled.length >= 81, 30_000, '81 handled');
      await Promise.all(consumers.map((c) => c.stop()));
      expect(overlap).toBe(0);
      for (const key of keys) {
        const ns = handled.filter((h) => h.key === key).map((h) => h.n);
        expect(ns).toEqual(Array.from({ length: key === 'a' ? 21 : 20 }, (_, i) => i));
      }
      expect(handled.filter((h) => h.key === '')).toHaveLength(20);
    });

    it('a dead-lettered head unblocks the next message of its key', async () => {
      const mq = await queueOf();
      const queue = uniqueQueue('keyed-dlq');
      await mq.publish(queue, [
        { type: 'poison-pill', payload: 0, partitionKey: 'k' },
        { type: 't', payload: 1, partitionKey: 'k' },
        { type: 't', payload: 2, partitionKey: 'k' },
      ]);
      const seen: unknown[] = [];
      const consumer = mq.consume(
        queue,
        async ([m]) => {
          seen.push(m?.payload);
          if (m?.type === 'poison-pill') throw new Error('always fails');
        },
        { concurrency: 4, retry: { ...FAST_RETRY, maxAttempts: 2 } },
      );
      await waitFor(() => seen.filter((p) => p !== 0).length >= 2, 20_000, 'the rest of key k');
      await consumer.stop();
      expect(seen).toEqual([0, 0, 1, 2]);
      expect(await mq.deadLetters.count(queue)).toBe(1);
    });

    if (db.dialect === 'mysql') {
      it('one consumer writing acks, retries and dead letters concurrently meets no deadlock (1213)', async () => {
        const events: LifecycleEvent[] = [];
        const mq = await queueOf(events);
        const queue = uniqueQueue('locks');
        await mq.publish(
          queue,
          Array.from({ length: 1_500 }, (_, i) => ({ type: 't', payload: i })),
        );
        let done = 0;
        const consumer = mq.consume(
          queue,
          async ([m]) => {
            const n = m?.payload as number;
            if (n % 3 === 1 && m?.attempt === 1) throw new Error('retry');
            if (n % 50 === 7) throw new Error('dead');
            done++;
          },
          { concurrency: 32, prefetch: 64, retry: { ...FAST_RETRY, maxAttempts: 2 } },
        );
        await waitFor(
          async () => done + (await mq.deadLetters.count(queue)) >= 1_500,
          60_000,
          'all 1,500 settled',
        );
        await consumer.stop();
        const deadlocks = events.filter(
          (e) => e.type === 'backendError' && /1213|deadlock/i.test(String(e.error?.message)),
        );
        expect(deadlocks).toHaveLength(0);
      }, 90_000);
    }
  });
}

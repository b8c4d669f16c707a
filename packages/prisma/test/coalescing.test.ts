// Outcomes of concurrent one-message handlers are written together, on the real PostgreSQL:
// the PrismaClient is wrapped only to observe the statements mqkit sends (they still run).
import { describe, expect, it } from 'vitest';
import { createPrismaQueue, type PrismaClientLike } from '../src/index.js';
import { postgres, probe, uniqueQueue } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `observe(sql, params)` before every raw statement, then runs it unchanged. */
function observed<T extends object>(
  client: T,
  observe: (sql: string, params: unknown[]) => void,
): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === '$executeRawUnsafe' || key === '$queryRawUnsafe')
        return (sql: string, ...params: unknown[]) => {
          observe(sql, params);
          return (value as (...a: unknown[]) => unknown).call(target, sql, ...params);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: ${postgres.label} coalescing tests — ${unreachable}`);

describe.runIf(unreachable === undefined)(`${postgres.label} outcome coalescing`, () => {
  it('acks of 50 concurrent one-message handlers go out together, never before a handler finished', async () => {
    const base = postgres.client({ max: 10 });
    const queueName = uniqueQueue('coalesce');
    const finished = new Set<string>();
    const early: string[] = [];
    let ackStatements = 0;
    let acked = 0;
    const prisma = observed(base, (sql, params) => {
      // The ack: migration 004's "<table>_ack"(queue, ids, tokens) function.
      if (!sql.includes('_ack"(')) return;
      if (params[0] !== queueName) return;
      ackStatements++;
      for (const id of params[1] as string[]) {
        acked++;
        if (!finished.has(id)) early.push(id);
      }
    }) as unknown as PrismaClientLike;
    const queue = createPrismaQueue({ prisma, logger: silent });
    try {
      const { ids } = await queue.publish(
        queueName,
        Array.from({ length: 1_000 }, (_, i) => ({ type: 't', payload: i })),
      );
      const consumer = queue.consume(
        queueName,
        async ([m]) => {
          await sleep(Math.random() * 3);
          if (m) finished.add(m.id);
        },
        { concurrency: 50 },
      );
      const deadline = Date.now() + 30_000;
      while (acked < ids.length && Date.now() < deadline) await sleep(20);
      await consumer.stop();
      expect(finished.size).toBe(1_000);
      expect(acked).toBe(1_000);
      expect(early).toEqual([]);
      // One statement per flush, not per message: at least 5 acks per statement on average.
      expect(ackStatements).toBeLessThanOrEqual(200);
      const left = await base.$queryRawUnsafe<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM mqkit_messages WHERE queue = $1',
        queueName,
      );
      expect(left[0]?.n).toBe(0);
    } finally {
      await queue.close();
      await base.$disconnect();
    }
  }, 60_000);
});

import { randomBytes } from 'node:crypto';
import { createMongoQueue, type MongoQueue } from '@mqkit/mongodb';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statsFilters } from '../src/stats/stats.js';

// Behaviour the CongoDB stand-in cannot show (docs/providers/mongodb.md, "What is verified
// where"): these tests run only against a real server from MONGODB_URL, unchanged otherwise.
const url = process.env.MONGODB_URL || undefined;
if (url === undefined) console.log('SKIPPED: mongodb real-server tests — set MONGODB_URL');

const DB = 'mqkit_real';
const uniqueQueue = (): string => `q_${randomBytes(6).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe.skipIf(url === undefined)('mongodb real server (MONGODB_URL)', () => {
  const clients: MongoClient[] = [];
  const open: MongoQueue[] = [];
  let db: Db;

  async function connect(): Promise<MongoClient> {
    const client = new MongoClient(url as string);
    await client.connect();
    clients.push(client);
    return client;
  }
  function make(client: MongoClient, options: { collection?: string; retention?: object } = {}) {
    const mq = createMongoQueue({ client, dbName: DB, ...options });
    open.push(mq);
    return mq;
  }

  beforeAll(async () => {
    db = (await connect()).db(DB);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close({ timeoutMs: 0 })));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('the unique index keeps one live message per id when publishers race', async () => {
    const queue = uniqueQueue();
    const queues = await Promise.all(Array.from({ length: 4 }, async () => make(await connect())));
    await (queues[0] as MongoQueue).init();
    // 4 clients × 10 concurrent publishes of the same id: the check-then-insert races, the index does not.
    const results = await Promise.all(
      queues.flatMap((mq) =>
        Array.from({ length: 10 }, (_, i) =>
          mq.publish(queue, { id: 'same', type: 't', payload: i }),
        ),
      ),
    );
    for (const r of results) expect(r.ids).toEqual(['same']);
    expect(await db.collection('mqkit_messages').countDocuments({ queue, mid: 'same' })).toBe(1);
  });

  it('a dead-lettered id can be published again (the unique index is partial on live messages)', async () => {
    const mq = make(clients[0] as MongoClient);
    const queue = uniqueQueue();
    await mq.publish(queue, { id: 'x', type: 't', payload: 1 });
    const consumer = mq.consume(
      queue,
      () => {
        throw new Error('boom');
      },
      { retry: { maxAttempts: 1 } },
    );
    await waitFor(async () => (await mq.deadLetters.count(queue)) === 1, 10_000);
    await consumer.stop();
    await mq.publish(queue, { id: 'x', type: 't', payload: 2 });
    expect(await db.collection('mqkit_messages').countDocuments({ queue, mid: 'x' })).toBe(1);
    // Replaying now skips the dead letter: its id is live again.
    expect(await mq.deadLetters.replay(queue)).toBe(0);
  });

  it('claims are exactly-once across 4 connections and 8 concurrent consumers', async () => {
    const queue = uniqueQueue();
    const queues = await Promise.all(Array.from({ length: 4 }, async () => make(await connect())));
    const total = 5_000;
    for (let i = 0; i < total; i += 1_000)
      await (queues[0] as MongoQueue).publish(
        queue,
        Array.from({ length: 1_000 }, (_, j) => ({ type: 't', payload: i + j })),
      );
    const seen = new Map<number, number>();
    const consumers = queues.flatMap((mq, n) =>
      [1, 20].map((batchSize) =>
        mq.consume(
          queue,
          (messages) => {
            for (const m of messages)
              seen.set(m.payload as number, (seen.get(m.payload as number) ?? 0) + 1);
          },
          { batchSize, concurrency: 4 + n },
        ),
      ),
    );
    await waitFor(() => seen.size >= total, 60_000);
    await sleep(300);
    await Promise.all(consumers.map((c) => c.stop()));
    expect(seen.size).toBe(total);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
  }, 90_000);

  it('the claim query uses the mqkit_claim index', async () => {
    const mq = make(clients[0] as MongoClient);
    const queue = uniqueQueue();
    await mq.publish(queue, { type: 't', payload: 1 });
    const now = new Date();
    const plan = await db
      .collection('mqkit_messages')
      .find({
        queue,
        runAt: { $lte: now },
        $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
      })
      .sort({ priority: -1, runAt: 1, _id: 1 })
      .limit(10)
      .explain('queryPlanner');
    // Only the winning plan counts (rejected plans name every candidate index).
    const winning = (plan as { queryPlanner?: { winningPlan?: unknown } }).queryPlanner
      ?.winningPlan;
    expect(JSON.stringify(winning ?? plan)).toContain('mqkit_claim');
  });

  it('every stats() count is answered from an index (IXSCAN, never COLLSCAN)', async () => {
    const mq = make(clients[0] as MongoClient);
    const queue = uniqueQueue();
    await mq.publish(queue, [
      { type: 't', payload: 1 },
      { type: 't', payload: 2, delayMs: 60_000 },
    ]);
    const stats = await mq.stats(queue);
    expect([stats.ready, stats.delayed, stats.inFlight, stats.deadLettered]).toEqual([1, 1, 0, 0]);
    const filters = statsFilters(queue, new Date());
    const expected = {
      ready: 'mqkit_claim',
      delayed: 'mqkit_claim',
      inFlight: 'mqkit_lease_expiry',
      deadLettered: 'mqkit_dead_letters',
    };
    for (const [name, index] of Object.entries(expected)) {
      const plan = await db
        .collection('mqkit_messages')
        .find(filters[name as keyof typeof expected])
        .explain('queryPlanner');
      const winning = JSON.stringify(
        (plan as { queryPlanner?: { winningPlan?: unknown } }).queryPlanner?.winningPlan ?? plan,
      );
      expect(winning, name).toContain(index);
      expect(winning, name).not.toContain('COLLSCAN');
    }
  });

  it('wakes an idle consumer through a change stream on a replica set when another process publishes', async () => {
    const consumerSide = make(await connect());
    const publisherSide = make(await connect());
    if ((await consumerSide.wakeUpMode()) !== 'changeStream') {
      console.log(
        'SKIPPED: change-stream wake-up — MONGODB_URL is a standalone server (no change streams)',
      );
      return;
    }
    const queue = uniqueQueue();
    await consumerSide.init();
    const at: number[] = [];
    // Idle polling is 30 s: only a change-stream event can deliver within seconds.
    const consumer = consumerSide.consume(queue, () => void at.push(Date.now()), {
      pollIntervalMs: 30_000,
      minPollIntervalMs: 30_000,
    });
    await sleep(1_000);
    const publishedAt = Date.now();
    await publisherSide.publish(queue, { type: 't', payload: 1 });
    await waitFor(() => at.length === 1, 10_000);
    await consumer.stop();
    expect((at[0] as number) - publishedAt).toBeLessThan(5_000);
  }, 30_000);

  it('TTL indexes remove dead letters after retention.deadLettersMs', async () => {
    const collection = `ttl_${randomBytes(4).toString('hex')}`;
    const mq = make(clients[0] as MongoClient, { collection, retention: { deadLettersMs: 1_000 } });
    const queue = uniqueQueue();
    await mq.publish(queue, { type: 't', payload: 1 });
    const consumer = mq.consume(
      queue,
      () => {
        throw new Error('boom');
      },
      { retry: { maxAttempts: 1 } },
    );
    await waitFor(async () => (await mq.deadLetters.count(queue)) === 1, 10_000);
    await consumer.stop();
    // The server's TTL monitor runs every 60 s.
    await waitFor(async () => (await mq.deadLetters.count(queue)) === 0, 150_000);
    await db.collection(collection).drop();
  }, 180_000);
});

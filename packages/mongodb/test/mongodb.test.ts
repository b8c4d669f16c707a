import { randomBytes } from 'node:crypto';
import {
  ConfigurationError,
  ErrorCode,
  type Handler,
  LeaseLostError,
  type LifecycleEvent,
  SerializationError,
  ValidationError,
} from '@mqkit/core';
import { createMongoQueue, type MongoQueue } from '@mqkit/mongodb';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MongoEndpoint, startMongo } from '../../../test/support/congo.js';

// Provider-specific behaviour on the CongoDB stand-in (or MONGODB_URL when set). Real-server-only
// behaviour (unique index, TTL, change streams, concurrent atomicity) is in real-server.test.ts.

let endpoint: MongoEndpoint;
let client: MongoClient;
let db: Db;
const open: MongoQueue[] = [];

const uniqueQueue = (): string => `q_${randomBytes(6).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
function make(options: Partial<Parameters<typeof createMongoQueue>[0]> = {}): MongoQueue {
  const mq = createMongoQueue({ db, ...options } as Parameters<typeof createMongoQueue>[0]);
  open.push(mq);
  return mq;
}

beforeAll(async () => {
  endpoint = await startMongo();
  client = new MongoClient(endpoint.url);
  await client.connect();
  db = client.db('mqkit_provider');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((q) => q.close({ timeoutMs: 0 })));
});
afterAll(async () => {
  await client?.close();
  await endpoint?.stop();
});

describe('options are validated at construction, before any I/O', () => {
  it('requires exactly one of db and client', () => {
    expect(() => createMongoQueue({} as never)).toThrow(ConfigurationError);
    expect(() => createMongoQueue({} as never)).toThrow(/option "db" is required/);
    expect(() => createMongoQueue({ db, client })).toThrow(/cannot be combined with "db"/);
    expect(() => createMongoQueue({ db: {} as Db })).toThrow(/must be a mongodb Db/);
    expect(() => createMongoQueue({ db, dbName: 'x' })).toThrow(/only applies with "client"/);
  });

  it('rejects bad collection names, changeStreams values, retention ranges and typos', () => {
    expect(() => createMongoQueue({ db, collection: 'a$b' })).toThrow(/option "collection"/);
    expect(() => createMongoQueue({ db, collection: 'system.x' })).toThrow(/option "collection"/);
    expect(() => createMongoQueue({ db, changeStreams: true as never })).toThrow(
      /option "changeStreams" must be 'auto' or false/,
    );
    expect(() => createMongoQueue({ db, retention: { completedMs: 10 } })).toThrow(
      /option "retention.completedMs" must be an integer from 1000/,
    );
    expect(() => createMongoQueue({ db, retention: { deadLetterMs: 1 } as never })).toThrow(
      /did you mean "retention.deadLettersMs"/,
    );
    expect(() => createMongoQueue({ db, colection: 'x' } as never)).toThrow(
      /did you mean "collection"/,
    );
  });

  it('never connects before the first operation, and rejects bad input without touching the server', async () => {
    // Nothing listens on port 1: any I/O would fail with a driver error, not a typed one.
    const offline = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true', {
      serverSelectionTimeoutMS: 200,
    });
    const mq = createMongoQueue({ client: offline, dbName: 'nowhere' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(mq.publish('q', { type: 't', payload: circular })).rejects.toBeInstanceOf(
      SerializationError,
    );
    await expect(mq.publish('bad name!', { type: 't', payload: 1 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(() => mq.consume('q', () => {}, { batchSize: 0 })).toThrow(ConfigurationError);
    // The first real operation fails with a typed BackendError (credentials redacted by core).
    await expect(mq.publish('q', { type: 't', payload: 1 })).rejects.toMatchObject({
      code: ErrorCode.BACKEND,
    });
    await mq.close();
    await offline.close();
  });
});

describe('schema and init()', () => {
  it('creates the documented indexes, idempotently', async () => {
    const collection = `c_${randomBytes(4).toString('hex')}`;
    const mq = make({ collection, retention: { completedMs: 60_000, deadLettersMs: 3_600_000 } });
    await mq.init();
    await mq.init();
    await make({ collection, retention: { completedMs: 60_000, deadLettersMs: 3_600_000 } }).init();
    const indexes = await db.collection(collection).listIndexes().toArray();
    const byName = new Map(indexes.map((i) => [i.name as string, i]));
    expect([...byName.keys()].sort()).toEqual(
      [
        '_id_',
        'mqkit_claim',
        'mqkit_completed_ttl',
        'mqkit_dead_letter_ttl',
        'mqkit_dead_letters',
        'mqkit_lease_expiry',
        'mqkit_message_id',
      ].sort(),
    );
    expect(byName.get('mqkit_claim')?.key).toEqual({
      queue: 1,
      priority: -1,
      runAt: 1,
      leaseUntil: 1,
    });
    expect(byName.get('mqkit_message_id')).toMatchObject({
      unique: true,
      key: { queue: 1, mid: 1 },
    });
    expect(byName.get('mqkit_completed_ttl')?.expireAfterSeconds).toBe(60);
    expect(byName.get('mqkit_dead_letter_ttl')?.expireAfterSeconds).toBe(3_600);
  });

  it("stores mqkit's id in `mid` next to a driver-generated ObjectId `_id`", async () => {
    const mq = make();
    const queue = uniqueQueue();
    await mq.publish(queue, { id: 'order-42', type: 't', payload: { a: 1 }, headers: { h: 'v' } });
    const doc = await db.collection(mq.collectionName).findOne({ queue, mid: 'order-42' });
    expect(doc?._id?.constructor.name).toBe('ObjectId');
    expect(doc).toMatchObject({
      queue,
      mid: 'order-42',
      type: 't',
      body: '{"a":1}',
      headers: { h: 'v' },
      attempt: 0,
      priority: 0,
      leaseUntil: null,
      token: null,
    });
  });

  it('namespaces the stored queue name', async () => {
    const mq = make({ namespace: 'staging' });
    const queue = uniqueQueue();
    await mq.publish(queue, { type: 't', payload: 1 });
    expect(
      await db.collection(mq.collectionName).countDocuments({ queue: `staging:${queue}` }),
    ).toBe(1);
  });
});

describe('deduplication (check-then-insert; the unique index closes races on real MongoDB)', () => {
  it('skips ids already live in the queue and repeated ids within one batch', async () => {
    const mq = make();
    const queue = uniqueQueue();
    await mq.publish(queue, { id: 'a', type: 't', payload: 1 });
    const { ids } = await mq.publish(queue, [
      { id: 'a', type: 't', payload: 2 },
      { id: 'b', type: 't', payload: 3 },
      { id: 'b', type: 't', payload: 4 },
    ]);
    expect(ids).toEqual(['a', 'b', 'b']);
    const docs = await db.collection(mq.collectionName).find({ queue }).sort({ mid: 1 }).toArray();
    expect(docs.map((d) => [d.mid, d.body])).toEqual([
      ['a', '1'],
      ['b', '3'],
    ]);
  });
});

describe('leases are fenced by token', () => {
  it('a consumer whose lease was taken over is aborted, and its late acknowledgement writes nothing', async () => {
    const mq = make();
    const queue = uniqueQueue();
    await mq.publish(queue, { id: 'm1', type: 't', payload: 1 });
    let reason: unknown;
    let release!: () => void;
    const handler: Handler = (_messages, ctx) =>
      new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
        });
        release = resolve;
      });
    const consumer = mq.consume(queue, handler, {
      visibilityTimeoutMs: 1_000,
      heartbeatIntervalMs: 50,
    });
    const collection = db.collection(mq.collectionName);
    await waitFor(async () => (await collection.findOne({ queue, mid: 'm1' }))?.token !== null);
    // Another owner takes the message over (as after an expired lease).
    await collection.updateOne({ queue, mid: 'm1' }, { $set: { token: 'someone-else' } });
    await waitFor(() => reason !== undefined);
    expect(reason).toBeInstanceOf(LeaseLostError);
    release();
    await consumer.stop();
    const doc = await collection.findOne({ queue, mid: 'm1' });
    expect(doc).toMatchObject({ token: 'someone-else', attempt: 1 });
  });
});

describe('poison payloads', () => {
  it('dead-letters a stored payload the serializer cannot read instead of failing every claim', async () => {
    const events: LifecycleEvent[] = [];
    const mq = make({ lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) } });
    const queue = uniqueQueue();
    await mq.publish(queue, [
      { id: 'bad', type: 't', payload: 1 },
      { id: 'good', type: 't', payload: 2 },
    ]);
    await db
      .collection(mq.collectionName)
      .updateOne({ queue, mid: 'bad' }, { $set: { body: '{not json' } });
    const seen: string[] = [];
    const consumer = mq.consume(queue, (messages) => {
      for (const m of messages) seen.push(m.id);
    });
    await waitFor(async () => seen.length === 1 && (await mq.deadLetters.count(queue)) === 1);
    await consumer.stop();
    expect(seen).toEqual(['good']);
    // The dead letter stays inspectable: the stored string is the payload, flagged in meta.
    const dead = await mq.deadLetters.inspect(queue, 'bad');
    expect(dead?.message).toMatchObject({ payload: '{not json', meta: { rawPayload: true } });
    expect(dead?.error).toMatchObject({ name: 'SerializationError', code: 'MQKIT_SERIALIZATION' });
    expect(dead?.attempts).toBe(1);
    const poison = events.find((e) => e.type === 'deadLettered');
    expect(poison).toMatchObject({ reason: 'poison', queue, message: { id: 'bad', attempt: 1 } });
  });
});

describe('retention', () => {
  it('keeps acknowledged messages as completed documents when retention.completedMs is set', async () => {
    const mq = make({ retention: { completedMs: 60_000 } });
    const queue = uniqueQueue();
    await mq.publish(queue, { id: 'done', type: 't', payload: 1 });
    let handled = 0;
    const consumer = mq.consume(queue, () => {
      handled++;
    });
    await waitFor(
      async () =>
        handled === 1 &&
        (await db.collection(mq.collectionName).countDocuments({ doneQueue: queue })) === 1,
    );
    await consumer.stop();
    const doc = await db.collection(mq.collectionName).findOne({ doneQueue: queue });
    expect(doc?.queue).toBeUndefined();
    expect(doc?.completedAt).toBeInstanceOf(Date);
  });
});

describe('wake-up', () => {
  it('detects a server without change streams and polls', async () => {
    const mq = make();
    if (endpoint.real) return; // the real server may be a replica set: see real-server.test.ts
    expect(await mq.wakeUpMode()).toBe('polling');
    expect(await make({ changeStreams: false }).wakeUpMode()).toBe('polling');
  });

  it('wakes an idle consumer at once when this instance publishes', async () => {
    const mq = make();
    const queue = uniqueQueue();
    const at: number[] = [];
    const consumer = mq.consume(queue, () => void at.push(Date.now()), {
      pollIntervalMs: 30_000,
      minPollIntervalMs: 30_000,
    });
    await sleep(1_000); // the consumer has found nothing and now idles for 30 s
    const publishedAt = Date.now();
    await mq.publish(queue, { type: 't', payload: 1 });
    await waitFor(() => at.length === 1, 5_000);
    await consumer.stop();
    expect((at[0] as number) - publishedAt).toBeLessThan(2_000);
  });
});

describe('close()', () => {
  it('leaves the user-supplied client connected', async () => {
    const own = new MongoClient(endpoint.url);
    const mq = createMongoQueue({ client: own, dbName: 'mqkit_provider' });
    const queue = uniqueQueue();
    await mq.publish(queue, { type: 't', payload: 1 });
    const consumer = mq.consume(queue, () => {});
    await sleep(50);
    await mq.close();
    expect(consumer.running).toBe(false);
    await expect(own.db('mqkit_provider').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
    await own.close();
  });
});

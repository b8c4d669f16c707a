import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import {
  BackendError,
  ConfigurationError,
  type LifecycleEvent,
  MessageTooLargeError,
  UnsupportedFeatureError,
} from '@mqkit/core';
import { createKinesisQueue, type KinesisProducerOptions } from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../src/envelope.js';
import {
  createStream,
  type Faults,
  faultyKinesis,
  payloadOf,
  plainKinesis,
  probeRedis,
  REDIS_URL,
  startKinesis,
  unique,
} from './support.js';

/** Every record of a stream, read straight from the emulator (all shards, from the start). */
async function readAll(
  client: KinesisClient,
  stream: string,
): Promise<{ partitionKey: string; sequenceNumber: string; data: string }[]> {
  const out: { partitionKey: string; sequenceNumber: string; data: string }[] = [];
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    for (;;) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const rec of r.Records ?? [])
        out.push({
          partitionKey: rec.PartitionKey ?? '',
          sequenceNumber: rec.SequenceNumber ?? '',
          data: Buffer.from(rec.Data ?? []).toString('utf8'),
        });
      if ((r.Records ?? []).length === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return out;
}

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis producer — ${unreachable}`);

describe.runIf(unreachable === undefined)('kinesis producer', () => {
  let kinesis: Awaited<ReturnType<typeof startKinesis>>;
  let plain: KinesisClient;
  let redis: Redis;
  beforeAll(async () => {
    kinesis = await startKinesis();
    plain = plainKinesis(kinesis.endpoint);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    plain.destroy();
    await kinesis.stop();
  });

  async function setup(
    shards = 2,
    faults: Faults = {},
    maxMessageBytes?: number,
    producer: KinesisProducerOptions = {},
  ) {
    const stream = unique('prod');
    await createStream(plain, stream, shards);
    const faulty = faultyKinesis(kinesis.endpoint, faults);
    const events: LifecycleEvent[] = [];
    const mq = createKinesisQueue({
      kinesis: faulty.client,
      redis,
      keyPrefix: unique('mqkit-test'),
      producer: { backoff: { initialMs: 5, maxMs: 50 }, ...producer },
      ...(maxMessageBytes ? { maxMessageBytes } : {}),
      lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) },
    });
    return { stream, mq, ...faulty, events };
  }

  it('writes JSON payloads inline (envelope v2) by default, and as a string with producer.envelopeVersion 1', async () => {
    for (const [envelopeVersion, expected] of [
      [undefined, { v: 2, payload: { n: 1 } }],
      [2, { v: 2, payload: { n: 1 } }],
      [1, { v: 1, body: '{"n":1}' }],
    ] as const) {
      const { stream, mq } = await setup(1, {}, undefined, { envelopeVersion });
      const { ids } = await mq.publish(stream, { type: 't', payload: { n: 1 } });
      const [stored] = await readAll(plain, stream);
      expect(JSON.parse(Buffer.from(stored?.data ?? []).toString())).toEqual({
        ...expected,
        id: ids[0],
        type: 't',
        createdAt: expect.any(Number),
      });
    }
  });

  it('splits a publish of 1,201 records into calls of at most 500 and stores every record once, in order per key', async () => {
    const { stream, mq, observed, client } = await setup();
    const input = Array.from({ length: 1201 }, (_, i) => ({
      type: 't',
      payload: { i },
      partitionKey: `k${i % 3}`,
    }));
    const { ids, positions } = await mq.publish(stream, input);
    expect(observed.putCalls).toBe(3);
    expect(ids).toHaveLength(1201);
    expect(positions).toHaveLength(1201);
    const stored = await readAll(plain, stream);
    expect(stored).toHaveLength(1201);
    expect(new Set(stored.map((r) => decodeEnvelope(Buffer.from(r.data))?.id))).toEqual(
      new Set(ids),
    );
    // positions are the sequence numbers of the records, in input order
    const bySeq = new Map(
      stored.map((r) => [r.sequenceNumber, decodeEnvelope(Buffer.from(r.data))?.id]),
    );
    expect(positions?.map((p) => bySeq.get(p))).toEqual(ids);
    for (const key of ['k0', 'k1', 'k2']) {
      const order = stored
        .filter((r) => r.partitionKey === key)
        .map((r) => (payloadOf(r.data) as { i: number }).i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    await mq.close();
    client.destroy();
  });

  it('splits a publish over 5 MiB into several calls, each within 5 MiB', async () => {
    const { stream, mq, observed, client } = await setup(1, {}, 1_048_576);
    const big = 'x'.repeat(900 * 1024);
    const { ids } = await mq.publish(
      stream,
      Array.from({ length: 12 }, (_, i) => ({ type: 't', payload: { i, big } })),
    );
    expect(observed.putCalls).toBe(3); // 5 + 5 + 2 records of ~900 KiB
    expect((await readAll(plain, stream)).length).toBe(ids.length);
    await mq.close();
    client.destroy();
  });

  it('resends only the entries a call reported as failed, and throttling is retried', async () => {
    // Entries 3, 250 and 777 fail twice each (throttled); every other entry is sent once.
    const chosen = new Set([3, 250, 777]);
    const { stream, mq, observed, events, client } = await setup(2, {
      failPutEntry: (data: string, attempt: number) =>
        chosen.has((payloadOf(data) as { i: number }).i) && attempt <= 2,
    });
    const { ids } = await mq.publish(
      stream,
      Array.from({ length: 800 }, (_, i) => ({ type: 't', payload: { i } })),
    );
    const sentIds = observed.putEntriesSent.map((d) => decodeEnvelope(Buffer.from(d))?.id);
    expect(sentIds).toHaveLength(800); // nothing stored twice
    expect(new Set(sentIds)).toEqual(new Set(ids));
    // two batches (500 + 300), each sent once more for each of the two failures of its chosen entries
    expect(observed.putCalls).toBe(2 * 3);
    expect((await readAll(plain, stream)).length).toBe(800);
    expect(events.filter((e) => e.type === 'throttled').length).toBeGreaterThan(0);
    await mq.close();
    client.destroy();
  });

  it('retries a whole call that was throttled', async () => {
    const { stream, mq, observed, client } = await setup(1, {
      throwPutCalls: { count: 2, name: 'LimitExceededException' },
    });
    await mq.publish(stream, [{ type: 't', payload: 1 }]);
    expect(observed.putCalls).toBe(3);
    expect((await readAll(plain, stream)).length).toBe(1);
    await mq.close();
    client.destroy();
  });

  it('fails an oversize record with MessageTooLargeError before any call, and delay/priority with UnsupportedFeatureError', async () => {
    // maxMessageBytes above the record limit: the 1 MiB record limit (envelope + key) is what trips.
    const { stream, mq, observed, client } = await setup(1, {}, 2 * 1024 * 1024);
    await expect(
      mq.publish(stream, [
        { type: 't', payload: 1 },
        { type: 't', payload: 'x'.repeat(1024 * 1024 - 20) },
      ]),
    ).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(mq.publish(stream, { type: 't', payload: 1, delayMs: 10 })).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
    await expect(mq.publish(stream, { type: 't', payload: 1, priority: 3 })).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
    expect(observed.putCalls).toBe(0);
    expect((await readAll(plain, stream)).length).toBe(0);
    await mq.close();
    client.destroy();
  });

  it('keys records by their id unless a key is given, and adds propagated trace headers only once the whole batch validated', async () => {
    const { stream, mq, client } = await setup(2);
    const { ids } = await mq.publish(stream, [
      { type: 't', payload: 1 },
      { type: 't', payload: 2, partitionKey: 'mine' },
    ]);
    const keys = new Map((await readAll(plain, stream)).map((r) => [payloadOf(r.data), r]));
    expect(keys.get(1)?.partitionKey).toBe(ids[0]);
    expect(keys.get(2)?.partitionKey).toBe('mine');
    expect(decodeEnvelope(Buffer.from(keys.get(2)?.data ?? ''))?.partitionKey).toBe('mine');
    await mq.close();

    const calls: number[] = [];
    const traced = createKinesisQueue({
      kinesis: client,
      redis,
      keyPrefix: unique('mqkit-test'),
      lifecycle: {
        name: 'trace',
        onEvent() {},
        propagate: (info) => {
          calls.push(info.index);
          return { traceparent: `tp-${info.index}`, own: 'propagated' };
        },
      },
    });
    const second = unique('prod');
    await createStream(plain, second, 1);
    // The second message is invalid: nothing is put and no message was propagated.
    await expect(
      traced.publish(second, [{ type: 't', payload: 3 }, { type: '' } as never]),
    ).rejects.toThrow(/message\[1\]/);
    expect(calls).toEqual([]);
    await traced.publish(second, [
      { type: 't', payload: 3 },
      { type: 't', payload: 4, headers: { own: 'publisher' } },
    ]);
    expect(calls).toEqual([0, 1]);
    const headers = (await readAll(plain, second)).map(
      (r) => decodeEnvelope(Buffer.from(r.data))?.headers,
    );
    expect(headers).toEqual([
      { traceparent: 'tp-0', own: 'propagated' },
      { traceparent: 'tp-1', own: 'publisher' },
    ]);
    await traced.close();
    client.destroy();
  });

  it("the 'type' strategy puts every message of a type on one shard; the default ('id') spreads them", async () => {
    const byType = await setup(4);
    const mq = createKinesisQueue({ kinesis: byType.client, redis, partitionKey: 'type' });
    await mq.publish(
      byType.stream,
      Array.from({ length: 200 }, (_, i) => ({ type: 'hot', payload: i })),
    );
    const hot = await readAll(plain, byType.stream);
    expect(new Set(hot.map((r) => r.partitionKey))).toEqual(new Set(['hot']));
    const spread = await setup(4);
    const { positions } = await spread.mq.publish(
      spread.stream,
      Array.from({ length: 200 }, (_, i) => ({ type: 'hot', payload: i })),
    );
    expect(positions).toHaveLength(200);
    const { Shards = [] } = await plain.send(new ListShardsCommand({ StreamName: spread.stream }));
    expect(Shards).toHaveLength(4);
    expect(new Set((await readAll(plain, spread.stream)).map((r) => r.partitionKey)).size).toBe(
      200,
    );
    await Promise.all([mq.close(), byType.mq.close(), spread.mq.close()]);
    byType.client.destroy();
    spread.client.destroy();
  });
  /** The payload `i` of each stored record, per partition key, in stream order. */
  const orderByKey = (stored: Awaited<ReturnType<typeof readAll>>) => {
    const byKey = new Map<string, number[]>();
    for (const r of stored) {
      const i = (payloadOf(r.data) as { i: number }).i;
      byKey.set(r.partitionKey, [...(byKey.get(r.partitionKey) ?? []), i]);
    }
    return byKey;
  };

  it('with producer.linger, 200 concurrent one-record publishes share a few PutRecords calls; each gets its own position and per-key order holds', async () => {
    const { stream, mq, observed, client } = await setup(2, {}, undefined, {
      linger: { maxDelayMs: 100 },
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        mq.publish(stream, { type: 't', payload: { i }, partitionKey: `k${i % 4}` }),
      ),
    );
    expect(observed.putCalls).toBeLessThanOrEqual(3); // one buffer, not 200 calls
    const stored = await readAll(plain, stream);
    expect(stored).toHaveLength(200);
    const idOf = new Map(
      stored.map((r) => [r.sequenceNumber, decodeEnvelope(Buffer.from(r.data))?.id]),
    );
    for (const r of results) expect(idOf.get(r.positions?.[0] ?? '')).toBe(r.ids[0]);
    for (const [key, order] of orderByKey(stored)) {
      expect(order, key).toEqual([...order].sort((a, b) => a - b));
      expect(order, key).toHaveLength(50);
    }
    await mq.close();
    client.destroy();
  });

  it('linger.maxRecords sends the buffer at once, long before linger.maxDelayMs', async () => {
    const { stream, mq, observed, client } = await setup(1, {}, undefined, {
      linger: { maxDelayMs: 10_000, maxRecords: 10 },
    });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => mq.publish(stream, { type: 't', payload: { i } })),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(observed.putCalls).toBe(1);
    expect(await readAll(plain, stream)).toHaveLength(10);
    await mq.close();
    client.destroy();
  });

  it('close() sends what linger buffered, and every waiting publish resolves', async () => {
    const { stream, mq, observed, client } = await setup(1, {}, undefined, {
      linger: { maxDelayMs: 10_000 },
    });
    const pending = [1, 2, 3].map((i) => mq.publish(stream, { type: 't', payload: { i } }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(observed.putCalls).toBe(0); // still buffered
    const started = Date.now();
    await mq.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const results = await Promise.all(pending);
    expect(results.map((r) => r.positions)).toHaveLength(3);
    expect(observed.putCalls).toBe(1);
    expect([...orderByKey(await readAll(plain, stream)).values()].flat().sort()).toEqual([1, 2, 3]);
    client.destroy();
  });

  it("a lingered publish settles with its own records' outcome: one failing record rejects only its publish", async () => {
    const { stream, mq, client } = await setup(
      1,
      { failPutEntry: (data: string) => (payloadOf(data) as { i: number }).i === 7 },
      undefined,
      { linger: { maxDelayMs: 50 }, maxAttempts: 2 },
    );
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => mq.publish(stream, { type: 't', payload: { i } })),
    );
    expect(settled.map((s) => s.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 7 ? 'rejected' : 'fulfilled')),
    );
    expect((settled[7] as PromiseRejectedResult).reason).toBeInstanceOf(BackendError);
    const stored = [...orderByKey(await readAll(plain, stream)).values()].flat();
    expect(stored.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]);
    await mq.close();
    client.destroy();
  });

  it('rejects bad linger settings with a ConfigurationError naming the field', () => {
    const bad: unknown[] = [
      {},
      { maxDelayMs: 0 },
      { maxDelayMs: 20_000 },
      { maxDelayMs: 10, maxRecords: 0 },
      { maxDelayMs: 10, maxRecords: 1.5 },
      { maxDelay: 10 },
      'yes',
    ];
    for (const linger of bad) {
      expect(
        () => createKinesisQueue({ producer: { linger: linger as { maxDelayMs: number } } }),
        JSON.stringify(linger),
      ).toThrow(ConfigurationError);
    }
    expect(() =>
      createKinesisQueue({ producer: { linger: {} as { maxDelayMs: number } } }),
    ).toThrow(/producer\.linger\.maxDelayMs/);
    expect(() =>
      createKinesisQueue({
        producer: { linger: { maxDelay: 10 } as unknown as { maxDelayMs: number } },
      }),
    ).toThrow(/did you mean "producer\.linger\.maxDelayMs"/);
  });
  it('a process whose last publish is still lingering stays alive until it is sent (the timer is not unref()ed)', async () => {
    const stream = unique('prod');
    await createStream(plain, stream, 1);
    const script = fileURLToPath(new URL('./linger-exit.script.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, MQKIT_TEST_KINESIS: kinesis.endpoint, MQKIT_TEST_STREAM: stream },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).toMatch(/^published \d+/);
    expect(code).toBe(0);
    expect(await readAll(plain, stream)).toHaveLength(1);
  }, 30_000);
});

import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  type Consumer,
  HandlerTimeoutError,
  LeaseLostError,
  type LifecycleEvent,
  type Message,
  NonRetryableError,
} from '@mqkit/core';
import { createKinesisQueue, type queueKeys } from '@mqkit/kinesis';
import { createMemoryQueue } from '@mqkit/memory';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useConsumerHarness } from './harness.js';
import { probeRedis, waitFor } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis consumer — ${unreachable}`);

describe.runIf(unreachable === undefined)('kinesis consumer', () => {
  const harness = useConsumerHarness('mqkit-cons');
  const { setup, cleanups, prefix } = harness;

  const fast = {
    retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, jitter: 0 } },
    pollIntervalMs: 50,
    minPollIntervalMs: 10,
  };
  const checkpointsOf = async (keys: ReturnType<typeof queueKeys>, shards: string[]) =>
    Promise.all(shards.map(async (s) => harness.redis.hget(keys.checkpoint(s), 'position')));

  it('a throwing handler never moves the checkpoint past the record it could not handle', async () => {
    const { stream, mq, keys } = await setup(1);
    const { positions = [] } = await mq.publish(
      stream,
      [1, 2, 3, 4, 5].map((i) => ({ type: 't', payload: i })),
    );
    const seen: number[] = [];
    const consumer = mq.consume(
      stream,
      async ([m]) => {
        seen.push(m?.payload as number);
        if (m?.payload === 3) throw new Error('cannot handle 3');
      },
      { ...fast, retry: { maxAttempts: 1000, backoff: { initialMs: 5, maxMs: 20, jitter: 0 } } },
    );
    await waitFor(
      () => seen.filter((p) => p === 3).length >= 5,
      10_000,
      'record 3 retried in place',
    );
    expect(seen.filter((p) => p > 3)).toEqual([]); // the shard waits
    expect(await checkpointsOf(keys, ['shardId-000000000000'])).toEqual([positions[1]]);
    await consumer.stop({ timeoutMs: 500 });
    expect(await checkpointsOf(keys, ['shardId-000000000000'])).toEqual([positions[1]]);
  });

  it('concurrency is shared out over the owned shards: one batch at a time per shard with as many shards as slots, parallel lanes by key with fewer', async () => {
    /** Most handler calls of one shard seen at once, and each shard's sequence numbers in delivery order. */
    async function run(shards: number, concurrency: number) {
      const { stream, mq, events } = await setup(shards);
      const inFlight = new Map<string, number>();
      const delivered = new Map<string, bigint[]>();
      let most = 0;
      let handled = 0;
      const consumer = mq.consume(
        stream,
        async (messages) => {
          const shard = String(messages[0]?.meta?.shardId);
          inFlight.set(shard, (inFlight.get(shard) ?? 0) + 1);
          most = Math.max(most, inFlight.get(shard) ?? 0);
          for (const m of messages) {
            const list = delivered.get(shard) ?? [];
            list.push(BigInt(String(m.meta?.sequenceNumber)));
            delivered.set(shard, list);
          }
          await new Promise((resolve) => setTimeout(resolve, 15));
          inFlight.set(shard, (inFlight.get(shard) ?? 1) - 1);
          handled += messages.length;
        },
        { ...fast, batchSize: 2, concurrency },
      );
      // Records are published once every shard is owned, so each response meets the final share.
      await waitFor(
        () => events.filter((e) => e.type === 'leaseAcquired').length === shards,
        10_000,
        'every shard owned',
      );
      await mq.publish(
        stream,
        Array.from({ length: 80 }, (_, i) => ({
          type: 't',
          payload: i,
          partitionKey: `k${i % 8}`,
        })),
      );
      await waitFor(() => handled >= 80, 15_000, 'every record handled');
      await consumer.stop();
      const inOrder = [...delivered.values()].every((seqs) =>
        seqs.every((seq, i) => i === 0 || (seqs[i - 1] as bigint) < seq),
      );
      return { most, inOrder, shards: delivered.size };
    }
    // Two shards, two slots: each shard one batch at a time, strictly in sequence-number order.
    expect(await run(2, 2)).toEqual({ most: 1, inOrder: true, shards: 2 });
    // One shard, four slots: its batches run in parallel lanes (each key still in order).
    const one = await run(1, 4);
    expect(one.most).toBeGreaterThan(1);
    expect(one.inOrder).toBe(false);
  });

  it('bisection delivers every good record of a batch with one poison record and dead-letters exactly that one, payload intact', async () => {
    const { stream, mq, events } = await setup(1);
    const { ids } = await mq.publish(
      stream,
      Array.from({ length: 16 }, (_, i) => ({
        type: 'order',
        payload: { i, note: i === 11 ? 'poison' : 'ok' },
      })),
    );
    const handled = new Set<number>();
    mq.consume(
      stream,
      async (messages: Message[]) => {
        if (messages.some((m) => (m.payload as { note: string }).note === 'poison'))
          throw new Error('poison in batch');
        for (const m of messages) handled.add((m.payload as { i: number }).i);
      },
      { ...fast, batchSize: 16 },
    );
    await waitFor(
      async () => (await mq.deadLetters.count(stream)) === 1 && handled.size === 15,
      15_000,
      'bisection',
    );
    expect([...handled].sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15,
    ]);
    const [dead] = await mq.deadLetters.list(stream);
    expect(dead?.message.id).toBe(ids[11]);
    expect(dead?.message.payload).toEqual({ i: 11, note: 'poison' });
    expect(dead?.error.message).toBe('poison in batch');
    expect(events.filter((e) => e.type === 'deadLettered')).toHaveLength(1);
  });

  it('throttled GetRecords is retried and never counts as a handler failure', async () => {
    const { stream, mq, events } = await setup(1, {}, { throttleGetRecords: 4 });
    await mq.publish(stream, [{ type: 't', payload: 'a' }]);
    const attempts: number[] = [];
    mq.consume(stream, async ([m]) => void attempts.push(m?.attempt ?? 0), fast);
    await waitFor(() => attempts.length === 1, 15_000, 'delivery after throttling');
    expect(attempts).toEqual([1]);
    expect(events.filter((e) => e.type === 'throttled').length).toBe(4);
    expect(events.filter((e) => e.type === 'failed')).toEqual([]);
  });

  it('an unreadable checkpoint store stops the shard loudly instead of restarting from TRIM_HORIZON', async () => {
    const { stream, mq, events, keys } = await setup(1);
    await mq.publish(stream, [{ type: 't', payload: 1 }]);
    // A value of the wrong type: HGETALL answers WRONGTYPE, as from a corrupted or foreign key.
    await harness.redis.set(keys.checkpoint('shardId-000000000000'), 'garbage');
    const delivered: unknown[] = [];
    mq.consume(stream, async ([m]) => void delivered.push(m?.payload), fast);
    await waitFor(
      () => events.some((e) => e.type === 'backendError' && e.operation === 'read checkpoint'),
      10_000,
      'backendError',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(delivered).toEqual([]);
    // Once the store is readable again the shard is picked up (no checkpoint: from the start).
    await harness.redis.del(keys.checkpoint('shardId-000000000000'));
    await waitFor(() => delivered.length === 1, 15_000, 'delivery once readable');
  });

  it('a record not written by mqkit is dead-lettered as poison and the shard moves on', async () => {
    const { stream, mq, events } = await setup(1);
    await harness.plain.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ Data: Buffer.from('not an envelope'), PartitionKey: 'p' }],
      }),
    );
    await mq.publish(stream, [{ type: 't', payload: 'after' }]);
    const delivered: unknown[] = [];
    mq.consume(stream, async ([m]) => void delivered.push(m?.payload), fast);
    await waitFor(() => delivered.length === 1, 10_000, 'the good record');
    expect(delivered).toEqual(['after']);
    const [dead] = await mq.deadLetters.list(stream);
    expect(dead?.message.payload).toBe('not an envelope');
    expect(events.find((e) => e.type === 'deadLettered')).toMatchObject({ reason: 'poison' });
  });

  it('records in the envelope layout of earlier versions (v1, payload as a string) are still delivered, in order with v2 ones', async () => {
    const { stream, mq } = await setup(1);
    // Bytes as mqkit wrote them before the v2 layout, put straight on the stream.
    const v1 = (i: number) =>
      Buffer.from(
        JSON.stringify({
          v: 1,
          id: `old-${i}`,
          type: 'old',
          body: JSON.stringify({ i }),
          createdAt: 1_700_000_000_000,
          headers: { trace: `t${i}` },
          maxAttempts: 7,
        }),
      );
    await harness.plain.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [1, 2].map((i) => ({ Data: v1(i), PartitionKey: 'k' })),
      }),
    );
    const { ids } = await mq.publish(stream, [
      { type: 'new', payload: { i: 3 }, partitionKey: 'k' },
    ]);
    const seen: Message[] = [];
    mq.consume(stream, async (messages) => void seen.push(...messages), { ...fast, batchSize: 10 });
    await waitFor(() => seen.length === 3, 10_000, 'three records');
    expect(seen.map((m) => [m.id, m.type, m.payload, m.maxAttempts])).toEqual([
      ['old-1', 'old', { i: 1 }, 7],
      ['old-2', 'old', { i: 2 }, 7],
      [ids[0], 'new', { i: 3 }, 3],
    ]);
    expect(seen[1]?.headers).toEqual({ trace: 't2' });
    expect(seen[0]?.createdAt).toEqual(new Date(1_700_000_000_000));
    expect(await mq.deadLetters.count(stream)).toBe(0);
  });

  it('a record whose consumer kept dying at the same checkpoint is dead-lettered after maxAttempts, across restarts', async () => {
    const { stream, mq, keys } = await setup(1);
    const { positions = [], ids } = await mq.publish(
      stream,
      [1, 2, 3].map((i) => ({ type: 't', payload: i })),
    );
    // State left by three consumers that died while handling record 1 (maxAttempts 3).
    await harness.redis.hset(
      keys.checkpoint('shardId-000000000000'),
      'pendingSeq',
      positions[0] as string,
      'pendingAttempts',
      '3',
      'pendingCount',
      '3',
    );
    const delivered: number[] = [];
    mq.consume(
      stream,
      async (messages) => void delivered.push(...messages.map((m) => m.payload as number)),
      { ...fast, batchSize: 10 },
    );
    await waitFor(() => delivered.length === 2, 10_000, 'records 2 and 3');
    expect(delivered).toEqual([2, 3]);
    const dead = await mq.deadLetters.inspect(stream, ids[0] as string);
    expect(dead?.attempts).toBe(3);
    expect(dead?.message.meta?.reason).toBe('lease-expired');
  });

  it('a restarted consumer redelivers an interrupted record with the attempt counted (crash detection)', async () => {
    const { stream, mq, keys } = await setup(1);
    const { positions = [] } = await mq.publish(
      stream,
      [1, 2].map((i) => ({ type: 't', payload: i })),
    );
    await harness.redis.hset(
      keys.checkpoint('shardId-000000000000'),
      'pendingSeq',
      positions[0] as string,
      'pendingAttempts',
      '1',
      'pendingCount',
      '2',
    );
    const batches: { payload: unknown; attempt: number }[][] = [];
    mq.consume(
      stream,
      async (messages) =>
        void batches.push(messages.map((m) => ({ payload: m.payload, attempt: m.attempt }))),
      { ...fast, batchSize: 10 },
    );
    await waitFor(() => batches.flat().length === 2, 10_000, 'both records');
    // The record heading the interrupted delivery comes alone, as attempt 2.
    expect(batches[0]).toEqual([{ payload: 1, attempt: 2 }]);
    expect(batches[1]).toEqual([{ payload: 2, attempt: 1 }]);
  });

  it('a lost lease aborts the running handler through ctx.signal with LeaseLostError, and its result is not checkpointed', async () => {
    const { stream, mq, keys, events } = await setup(1);
    await mq.publish(stream, [{ type: 't', payload: 1 }]);
    const reasons: unknown[] = [];
    let release: () => void = () => {};
    let running = false;
    const consumer: Consumer = mq.consume(
      stream,
      async (_messages, ctx) => {
        running = true;
        await new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
          });
        });
      },
      { ...fast, visibilityTimeoutMs: 1_500, heartbeatIntervalMs: 100 },
    );
    const lease = keys.lease('shardId-000000000000');
    await waitFor(
      async () => (await harness.redis.hget(lease, 'owner')) === consumer.id,
      10_000,
      'lease taken',
    );
    await waitFor(() => running, 10_000, 'handler running');
    // A peer took the lease over (as after an expiry): new token, greater fence.
    await harness.redis.hset(lease, 'owner', 'peer', 'token', 'peer-token');
    await harness.redis.hincrby(lease, 'fence', 1);
    await waitFor(() => reasons.length === 1, 5_000, 'abort');
    expect(reasons[0]).toBeInstanceOf(LeaseLostError);
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      await harness.redis.hget(keys.checkpoint('shardId-000000000000'), 'position'),
    ).toBeNull();
    expect(events.some((e) => e.type === 'leaseLost')).toBe(true);
    expect(await harness.redis.hget(lease, 'owner')).toBe('peer');
  });

  it('records older than consumer.maxRecordAgeMs are dead-lettered unprocessed, with an event', async () => {
    const { stream, mq: producer } = await setup(1);
    await producer.publish(stream, [{ type: 't', payload: 'old' }]);
    // Generous margins: the fresh record must be read within 2.5 s on a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const events: LifecycleEvent[] = [];
    const mq = createKinesisQueue({
      kinesis: harness.plain,
      redis: harness.redis,
      keyPrefix: prefix,
      logger: pino({ level: 'silent' }),
      consumer: { maxRecordAgeMs: 2_500 },
      lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) },
    });
    cleanups.push(() => mq.close({ timeoutMs: 1_000 }));
    await mq.publish(stream, [{ type: 't', payload: 'fresh' }]);
    const delivered: unknown[] = [];
    mq.consume(stream, async ([m]) => void delivered.push(m?.payload), fast);
    await waitFor(() => delivered.length === 1, 10_000, 'the fresh record');
    expect(delivered).toEqual(['fresh']);
    const [dead] = await mq.deadLetters.list(stream);
    expect(dead?.message.payload).toBe('old');
    expect(events.find((e) => e.type === 'deadLettered')).toMatchObject({
      reason: 'max-record-age',
    });
  });

  it('a handler past handlerTimeoutMs is aborted through ctx.signal and its record retried in place', async () => {
    const { stream, mq } = await setup(1);
    await mq.publish(stream, [
      { type: 't', payload: 'slow' },
      { type: 't', payload: 'next' },
    ]);
    const seen: { payload: unknown; attempt: number; reason?: unknown }[] = [];
    mq.consume(
      stream,
      async ([m], ctx) => {
        const entry: { payload: unknown; attempt: number; reason?: unknown } = {
          payload: m?.payload,
          attempt: m?.attempt ?? 0,
        };
        seen.push(entry);
        if (m?.payload === 'slow' && m.attempt === 1) {
          // Never resolves by itself: only the timeout frees the shard.
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              entry.reason = ctx.signal.reason;
              resolve();
            }),
          );
        }
      },
      { ...fast, handlerTimeoutMs: 300 },
    );
    await waitFor(() => seen.length === 3, 10_000, 'timeout, retry, next');
    expect(seen.map((s) => `${s.payload}${s.attempt}`)).toEqual(['slow1', 'slow2', 'next1']);
    expect(seen[0]?.reason).toBeInstanceOf(HandlerTimeoutError);
  });

  it('deadLetters.forwardTo also publishes each dead letter to another MessageQueue', async () => {
    const target = createMemoryQueue();
    cleanups.push(() => target.close());
    const { stream, mq } = await setup(1, {
      deadLetters: { forwardTo: { queue: target, name: 'kinesis-dlq' } },
    });
    const { ids } = await mq.publish(stream, [
      { type: 'order', payload: { n: 7 }, partitionKey: 'k' },
    ]);
    mq.consume(
      stream,
      async () => {
        throw new NonRetryableError('rejected');
      },
      fast,
    );
    const forwarded: Message[] = [];
    target.consume('kinesis-dlq', async (messages) => void forwarded.push(...messages));
    await waitFor(() => forwarded.length === 1, 10_000, 'the forwarded dead letter');
    expect(forwarded[0]?.type).toBe('mqkit.dead-letter');
    expect(forwarded[0]?.payload).toMatchObject({
      queue: stream,
      id: ids[0],
      type: 'order',
      reason: 'non-retryable',
      recordPartitionKey: 'k',
    });
    expect(await mq.deadLetters.count(stream)).toBe(1);
  });

  it('dead-letter replay puts the records back on the stream with their partition key, and they are handled', async () => {
    const { stream, mq } = await setup(2);
    const { ids } = await mq.publish(stream, [
      { type: 't', payload: { n: 1 }, partitionKey: 'alpha' },
      { type: 't', payload: { n: 2 }, partitionKey: 'beta' },
    ]);
    let failing = true;
    const handled: { id: string; key: string | undefined; attempt: number }[] = [];
    mq.consume(
      stream,
      async ([m]) => {
        if (failing) throw new Error('down');
        if (m) handled.push({ id: m.id, key: m.partitionKey, attempt: m.attempt });
      },
      { ...fast, retry: { maxAttempts: 2, backoff: { initialMs: 5, maxMs: 5, jitter: 0 } } },
    );
    await waitFor(
      async () => (await mq.deadLetters.count(stream)) === 2,
      10_000,
      'two dead letters',
    );
    failing = false;
    expect(await mq.deadLetters.replay(stream)).toBe(2);
    expect(await mq.deadLetters.count(stream)).toBe(0);
    await waitFor(() => handled.length === 2, 10_000, 'replayed records handled');
    expect(handled.map((h) => h.id).sort()).toEqual([...ids].sort());
    expect(handled.every((h) => h.attempt === 1)).toBe(true);
    expect(new Set(handled.map((h) => h.key))).toEqual(new Set(['alpha', 'beta']));
  });
});

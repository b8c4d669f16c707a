// The consumer under faults kinesalite cannot produce by itself (expired iterators, KMS
// throttling — injected by a middleware on a real client talking to the emulator), start
// positions, and backpressure when the handler is slower than the stream.
import type { Message } from '@mqkit/core';
import { createKinesisQueue, type KinesisQueue } from '@mqkit/kinesis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useConsumerHarness } from './harness.js';
import { payloadOf, probeRedis, waitFor } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis consumer faults — ${unreachable}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(unreachable === undefined)('kinesis consumer faults', () => {
  const harness = useConsumerHarness('mqkit-faults');
  const { setup, cleanups } = harness;
  const fast = {
    retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 20, jitter: 0 } },
    pollIntervalMs: 50,
    minPollIntervalMs: 10,
  };
  const numbers = (messages: readonly Message[]) => messages.map((m) => m.payload as number);

  /** A queue mqkit builds its own client for (request timeout that throws), on the harness's Redis. */
  function ownClientQueue(options: Parameters<typeof createKinesisQueue>[0]): KinesisQueue {
    const mq = createKinesisQueue({
      kinesis: {
        endpoint: harness.kinesis.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestTimeoutMs: 1_000,
      },
      redis: harness.redis,
      keyPrefix: harness.prefix,
      logger: pino({ level: 'silent' }),
      ...options,
    });
    cleanups.push(() => mq.close({ timeoutMs: 1_000 }));
    return mq;
  }

  it('an expired shard iterator is re-created after the last handled record: nothing lost, nothing delivered twice', async () => {
    const { stream, mq, events, faults, observed } = await setup(1, {
      consumer: { getRecordsLimit: 3 },
    });
    const { positions = [] } = await mq.publish(
      stream,
      Array.from({ length: 10 }, (_, i) => ({ type: 't', payload: i + 1, partitionKey: 'k' })),
    );
    const seen: number[] = [];
    mq.consume(
      stream,
      async (messages) => {
        seen.push(...numbers(messages));
        // The iterator of the next GetRecords (after records 1–3) has "expired".
        if (seen.length === 3) faults.expireGetRecords = 1;
      },
      { ...fast, batchSize: 3 },
    );
    await waitFor(() => seen.length >= 10, 15_000, 'all 10 records');
    await sleep(500); // a duplicate would show up here
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(faults.expireGetRecords).toBe(0); // the fault did fire
    // One iterator from the start, one re-created after record 3 — not from the start again.
    expect(observed.iteratorRequests.map((r) => r.ShardIteratorType)).toEqual([
      'TRIM_HORIZON',
      'AFTER_SEQUENCE_NUMBER',
    ]);
    expect(observed.iteratorRequests[1]?.StartingSequenceNumber).toBe(positions[2]);
    // An expired iterator is routine, not a backend error.
    expect(events.filter((e) => e.type === 'backendError')).toEqual([]);
  });

  it('AT_TIMESTAMP with no checkpoint: records before the timestamp are skipped, those after it delivered', async () => {
    const { stream, mq: producer } = await setup(1);
    await producer.publish(
      stream,
      [1, 2, 3].map((i) => ({ type: 'old', payload: i })),
    );
    await sleep(1_500);
    const timestamp = new Date();
    await sleep(1_500);
    await producer.publish(
      stream,
      [4, 5, 6].map((i) => ({ type: 'new', payload: i })),
    );
    const mq = ownClientQueue({ consumer: { startPosition: { timestamp } } });
    const seen: number[] = [];
    mq.consume(stream, async (messages) => void seen.push(...numbers(messages)), fast);
    await waitFor(() => seen.length >= 3, 15_000, 'the records after the timestamp');
    await sleep(500);
    expect(seen).toEqual([4, 5, 6]);
  });

  it('AT_TIMESTAMP with no record after the timestamp does not hang the shard: the request times out and the next record is delivered', async () => {
    const { stream, mq: producer } = await setup(1);
    await producer.publish(
      stream,
      [1, 2].map((i) => ({ type: 'old', payload: i })),
    );
    await sleep(1_500);
    const mq = ownClientQueue({ consumer: { startPosition: { timestamp: new Date() } } });
    const seen: number[] = [];
    const consumer = mq.consume(
      stream,
      async (messages) => void seen.push(...numbers(messages)),
      fast,
    );
    // kinesalite never answers an AT_TIMESTAMP request with nothing at or after the timestamp.
    await sleep(2_500);
    await producer.publish(stream, { type: 'new', payload: 3 });
    await waitFor(() => seen.length >= 1, 15_000, 'the record published after the timestamp');
    expect(seen).toEqual([3]);
    const stopping = Date.now();
    await consumer.stop({ timeoutMs: 2_000 });
    expect(Date.now() - stopping).toBeLessThan(5_000);
  }, 30_000);

  it('KMSThrottlingException on PutRecords (whole call and per record) is retried, never fatal', async () => {
    const { stream, mq, events, faults, observed } = await setup(
      1,
      { producer: { backoff: { initialMs: 5, maxMs: 20 } } },
      { throwPutCalls: { count: 2, name: 'KMSThrottlingException' } },
    );
    await mq.publish(stream, { type: 't', payload: 1 });
    expect(observed.putCalls).toBe(3);
    faults.failWith = 'KMSThrottlingException';
    faults.failPutEntry = (data, attempt) => payloadOf(data) === 2 && attempt <= 3;
    const calls = observed.putCalls;
    const { positions } = await mq.publish(
      stream,
      [2, 3].map((i) => ({ type: 't', payload: i })),
    );
    expect(positions).toHaveLength(2);
    expect(observed.putCalls - calls).toBe(4);
    expect(events.filter((e) => e.type === 'throttled').length).toBe(2 + 3);
    const seen: number[] = [];
    mq.consume(stream, async (messages) => void seen.push(...numbers(messages)), fast);
    await waitFor(() => seen.length >= 3, 15_000, 'three records');
    // Different partition keys: a resent record may land after a later one.
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('KMSThrottlingException and ProvisionedThroughputExceededException on GetRecords are retried and never count as handler failures', async () => {
    for (const code of ['KMSThrottlingException', 'ProvisionedThroughputExceededException']) {
      const { stream, mq, events } = await setup(
        1,
        {},
        { throttleGetRecords: 8, throttleWith: code },
      );
      await mq.publish(
        stream,
        [1, 2].map((i) => ({ type: 't', payload: i })),
      );
      const attempts: number[] = [];
      const seen: number[] = [];
      mq.consume(
        stream,
        async (messages) => {
          attempts.push(...messages.map((m) => m.attempt));
          seen.push(...numbers(messages));
        },
        fast,
      );
      await waitFor(() => seen.length >= 2, 20_000, `delivery after 8 × ${code}`);
      expect(seen, code).toEqual([1, 2]);
      expect(attempts, code).toEqual([1, 1]);
      expect(events.filter((e) => e.type === 'throttled').length, code).toBe(8);
      expect(
        events.filter((e) => e.type === 'failed' || e.type === 'backendError'),
        code,
      ).toEqual([]);
    }
  }, 60_000);

  it('backpressure: GetRecords slows down while the handler is slower than the stream, and no record is lost', async () => {
    const { stream, mq, observed } = await setup(1, { consumer: { getRecordsLimit: 10 } });
    const total = 400;
    await mq.publish(
      stream,
      Array.from({ length: total }, (_, i) => ({ type: 't', payload: i, partitionKey: 'k' })),
    );
    let slowMs = 0;
    const seen: number[] = [];
    mq.consume(
      stream,
      async (messages) => {
        if (slowMs > 0) await sleep(slowMs);
        seen.push(...numbers(messages));
      },
      { ...fast, batchSize: 10 },
    );
    const rate = (from: number, to: number) =>
      observed.getRecordsAt.filter((t) => t >= from && t < to).length / ((to - from) / 1_000);
    await waitFor(() => seen.length >= 20, 10_000, 'consumption under way');
    const fastFrom = Date.now();
    await sleep(1_500);
    const fastRate = rate(fastFrom, Date.now());
    slowMs = 1_000; // each batch of 10 now takes a second: the stream is far ahead
    await sleep(1_200); // let the batch in flight finish
    const slowFrom = Date.now();
    await sleep(3_000);
    const slowRate = rate(slowFrom, Date.now());
    slowMs = 0;
    await waitFor(() => seen.length >= total, 30_000, 'every record');
    await sleep(300);
    expect(fastRate).toBeGreaterThanOrEqual(3); // paced at ≤ 5/s, records every call
    expect(slowRate).toBeLessThanOrEqual(1.4); // one call per handled batch, not one per 210 ms
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  }, 60_000);
});

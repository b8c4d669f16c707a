import { createHash } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { BackendError, type Message } from '@mqkit/core';
import { SHARD_END } from '@mqkit/kinesis';
import { describe, expect, it } from 'vitest';
import { orderPending } from '../src/stats/peek.js';
import { useConsumerHarness } from './harness.js';
import { probeRedis, waitFor } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis peek — ${unreachable}`);

const SHARD0 = 'shardId-000000000000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(unreachable === undefined)('kinesis peek', () => {
  const harness = useConsumerHarness('mqkit-peek');
  const { setup } = harness;
  const fast = { pollIntervalMs: 50, minPollIntervalMs: 10 };

  it('shows every unconsumed record of every shard with its payload, oldest first, up to limit', async () => {
    const { stream, mq } = await setup(2);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      // Fixed partition keys: deterministic shards, and keys k0…k7 land on both of them.
      const r = await mq.publish(stream, { type: 't', payload: { i }, partitionKey: `k${i}` });
      ids.push(r.ids[0] as string);
      await sleep(5); // distinct arrival times
    }
    const seen = await mq.peek(stream, { limit: 100 });
    expect(seen.map((m) => m.id)).toEqual(ids);
    expect(seen.map((m) => m.payload)).toEqual(ids.map((_, i) => ({ i })));
    expect(seen.every((m) => m.attempt === 1 && m.queue === stream)).toBe(true);
    expect(new Set(seen.map((m) => m.meta?.shardId)).size).toBe(2);
    expect(seen.map((m) => m.partitionKey)).toEqual(ids.map((_, i) => `k${i}`));
    expect((await mq.peek(stream, { limit: 3 })).map((m) => m.id)).toEqual(ids.slice(0, 3));
    expect((await mq.peek(stream)).length).toBe(8); // default limit 10
  });

  it('on more shards than it reads at once (8), still returns the oldest records of all of them', async () => {
    const { stream, mq } = await setup(10);
    // The first two records go to the last shards (MD5 of the key in their hash ranges, the top
    // fifth of the key space), which a peek reads in its second group.
    const lastShards = (key: string) =>
      (createHash('md5').update(key).digest()[0] as number) >= 0xcd;
    const candidates = Array.from({ length: 200 }, (_, n) => `key-${n}`);
    const keys = [
      ...candidates.filter(lastShards).slice(0, 2),
      ...candidates.filter((k) => !lastShards(k)).slice(0, 10),
    ];
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await mq.publish(stream, { type: 't', payload: i, partitionKey: keys[i] });
      ids.push(r.ids[0] as string);
      await sleep(5);
    }
    const seen = await mq.peek(stream, { limit: 5 });
    expect(seen.map((m) => m.id)).toEqual(ids.slice(0, 5));
    const all = await mq.peek(stream, { limit: 50 });
    expect(all.map((m) => m.id)).toEqual(ids);
    for (const m of all.slice(0, 2)) expect(m.meta?.shardId).toMatch(/^shardId-00000000000[89]$/);
    expect(new Set(all.map((m) => m.meta?.shardId)).size).toBeGreaterThan(4);
  });

  it('starts after the checkpoint, moves nothing, and a consumer afterwards gets every record exactly once', async () => {
    const { stream, mq, keys } = await setup(1);
    const first = await mq.publish(
      stream,
      [1, 2].map((n) => ({ type: 't', payload: n })),
    );
    const handled: Message[] = [];
    const consumer = mq.consume(stream, async (batch) => void handled.push(...batch), fast);
    await waitFor(
      async () =>
        (await harness.redis.hget(keys.checkpoint(SHARD0), 'position')) === first.positions?.[1],
      10_000,
      'first two records checkpointed',
    );
    await consumer.stop();
    const rest = await mq.publish(
      stream,
      [3, 4, 5].map((n) => ({ type: 't', payload: n })),
    );
    const checkpointBefore = await harness.redis.hgetall(keys.checkpoint(SHARD0));
    const leaseBefore = await harness.redis.hgetall(keys.lease(SHARD0));

    const peeked = await mq.peek(stream);
    expect(peeked.map((m) => m.payload)).toEqual([3, 4, 5]);
    expect(peeked.map((m) => m.id)).toEqual(rest.ids);
    expect(peeked.map((m) => m.meta?.sequenceNumber)).toEqual(rest.positions);
    expect(await mq.peek(stream)).toEqual(peeked); // a look, twice the same
    expect(await harness.redis.hgetall(keys.checkpoint(SHARD0))).toEqual(checkpointBefore);
    expect(await harness.redis.hgetall(keys.lease(SHARD0))).toEqual(leaseBefore);

    const again = mq.consume(stream, async (batch) => void handled.push(...batch), fast);
    await waitFor(() => handled.length >= 5, 10_000, 'remaining records delivered');
    await sleep(300);
    await again.stop();
    expect(handled.map((m) => m.payload)).toEqual([1, 2, 3, 4, 5]);
    expect(await mq.peek(stream)).toEqual([]);
  });

  it('a shard checkpointed at SHARD_END contributes nothing', async () => {
    const { stream, mq, keys } = await setup(1);
    await mq.publish(stream, { type: 't', payload: 1 });
    expect(await mq.peek(stream)).toHaveLength(1);
    await harness.redis.hset(keys.checkpoint(SHARD0), 'position', SHARD_END);
    expect(await mq.peek(stream)).toEqual([]);
  });

  it("uses the consumer's start position when a shard has no checkpoint (LATEST: nothing waits)", async () => {
    const { stream, mq } = await setup(1, { consumer: { startPosition: 'LATEST' } });
    await mq.publish(stream, { type: 't', payload: 1 });
    expect(await mq.peek(stream)).toEqual([]);
  });

  it('shows a record that is no mqkit envelope as the poison dead letter it will become', async () => {
    const { stream, mq } = await setup(1);
    const response = await harness.plain.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ Data: Buffer.from('not json'), PartitionKey: 'p' }],
      }),
    );
    const sequence = response.Records?.[0]?.SequenceNumber;
    const [poison] = await mq.peek(stream);
    expect(poison?.type).toBe('mqkit.poison');
    expect(poison?.id).toBe(`${SHARD0}:${sequence}`);
    expect(poison?.payload).toBe(Buffer.from('not json').toString('base64'));
    expect(poison?.meta).toMatchObject({ poison: true, rawPayload: true, recordPartitionKey: 'p' });
  });

  it('rejects with BackendError naming the missing stream', async () => {
    const { mq } = await setup(1);
    const error = await mq.peek('no_such_stream_for_peek').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(
      /peek \(ListShards\).*stream "no_such_stream_for_peek" does not exist/,
    );
  });
});

describe('orderPending', () => {
  it('orders by arrival time, then shard id, then sequence number as a number', () => {
    const at = (ms: number) => new Date(ms);
    const p = (shardId: string, seq: string, ms: number) => ({
      shardId,
      record: {
        SequenceNumber: seq,
        ApproximateArrivalTimestamp: at(ms),
        Data: new Uint8Array(),
        PartitionKey: 'k',
      },
    });
    const order = orderPending([
      p('shardId-1', '100', 5),
      p('shardId-1', '99', 5),
      p('shardId-0', '200', 5),
      p('shardId-1', '7', 1),
    ]);
    expect(order.map((x) => `${x.shardId}/${x.record.SequenceNumber}`)).toEqual([
      'shardId-1/7',
      'shardId-0/200',
      'shardId-1/99',
      'shardId-1/100',
    ]);
  });
});

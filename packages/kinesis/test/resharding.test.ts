import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { createKinesisQueue } from '@mqkit/kinesis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { listShards } from '../src/consumer/shards.js';
import { useConsumerHarness } from './harness.js';
import { createStream, faultyKinesis, probeRedis, unique, waitFor } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis resharding — ${unreachable}`);

const active = async (client: KinesisClient, stream: string) =>
  waitFor(
    async () => {
      const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
    },
    10_000,
    'stream ACTIVE',
  );

describe.runIf(unreachable === undefined)('kinesis resharding', () => {
  const harness = useConsumerHarness('mqkit-reshard');

  it('a split and a merge during consumption lose nothing and keep per-key order', async () => {
    const stream = unique('reshard');
    await createStream(harness.plain, stream, 2);
    const mq = createKinesisQueue({
      kinesis: harness.plain,
      redis: harness.redis,
      keyPrefix: harness.prefix,
      logger: pino({ level: 'silent' }),
      consumer: { shardRefreshIntervalMs: 300 },
    });
    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    const published: { id: string; key: string; n: number }[] = [];
    const firstSeen = new Map<string, { key: string; n: number }>();
    const deliveries: { id: string }[] = [];
    const consumer = mq.consume(
      stream,
      async (messages) => {
        // Slow enough that the parent still has a backlog when its children receive records.
        await new Promise((resolve) => setTimeout(resolve, 15));
        for (const m of messages) {
          deliveries.push({ id: m.id });
          const p = m.payload as { key: string; n: number };
          if (!firstSeen.has(m.id)) firstSeen.set(m.id, p);
        }
      },
      { batchSize: 5, pollIntervalMs: 100 },
    );
    const perKey = new Map<string, number>();
    const publishRound = async (count: number) => {
      const batch = Array.from({ length: count }, (_, i) => {
        const key = keys[i % keys.length] as string;
        const n = perKey.get(key) ?? 0;
        perKey.set(key, n + 1);
        return { type: 't', payload: { key, n }, partitionKey: key };
      });
      const { ids } = await mq.publish(stream, batch);
      ids.forEach((id, i) => {
        published.push({
          id,
          key: batch[i]?.payload.key as string,
          n: batch[i]?.payload.n as number,
        });
      });
    };
    await publishRound(120);
    await waitFor(() => firstSeen.size >= 10, 15_000, 'some deliveries before the split');
    const [first] =
      (await harness.plain.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
    // Split shard 0 in the middle of its hash range.
    const start = BigInt(first?.HashKeyRange?.StartingHashKey ?? '0');
    const end = BigInt(first?.HashKeyRange?.EndingHashKey ?? '0');
    await harness.plain.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: first?.ShardId,
        NewStartingHashKey: String((start + end) / 2n),
      }),
    );
    await active(harness.plain, stream);
    await publishRound(120);
    // Merge the upper child of the split with shard 1 (adjacent hash ranges).
    const shards = await listShards(harness.plain, stream);
    const upperChild = shards.filter((s) => s.parents.includes(first?.ShardId as string))[1];
    await harness.plain.send(
      new MergeShardsCommand({
        StreamName: stream,
        ShardToMerge: upperChild?.shardId,
        AdjacentShardToMerge: 'shardId-000000000001',
      }),
    );
    await active(harness.plain, stream);
    await publishRound(120);
    await waitFor(
      () => firstSeen.size === published.length,
      30_000,
      `all ${published.length} records (have ${firstSeen.size})`,
    );
    await consumer.stop();
    // Nothing lost.
    expect(new Set(firstSeen.keys())).toEqual(new Set(published.map((p) => p.id)));
    // Per key, first deliveries came in publish order across parent → child shards.
    const order = new Map<string, number[]>();
    for (const { id } of deliveries) {
      const p = firstSeen.get(id);
      if (!p) continue;
      const list = order.get(p.key) ?? [];
      if (!list.includes(p.n)) list.push(p.n);
      order.set(p.key, list);
    }
    for (const [key, ns] of order) expect(ns, key).toEqual([...ns].sort((a, b) => a - b));
    // The closed parents are finished (SHARD_END) and their leases released.
    const after = await listShards(harness.plain, stream);
    expect(after.length).toBe(5);
    await mq.close();
  });

  it('ListShards follows NextToken and never sends it with StreamName', async () => {
    const stream = unique('pages');
    await createStream(harness.plain, stream, 5);
    const faulty = faultyKinesis(harness.kinesis.endpoint, { listShardsPageSize: 2 });
    const shards = await listShards(faulty.client, stream);
    expect(shards.map((s) => s.shardId)).toHaveLength(5);
    expect(faulty.observed.listShardsRequests).toHaveLength(3);
    for (const request of faulty.observed.listShardsRequests.slice(1)) {
      expect(request.NextToken).toBeDefined();
      expect(request.StreamName).toBeUndefined();
    }
    faulty.client.destroy();
  });
});

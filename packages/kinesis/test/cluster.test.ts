import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Message } from '@mqkit/core';
import {
  createKinesisQueue,
  createRedisCheckpointStore,
  createRedisLeaseStore,
  queueKeys,
  SHARD_END,
} from '@mqkit/kinesis';
import type { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceRegistry } from '../src/instances/registry.js';
import { encodeKeyPrefix } from '../src/names.js';
import { readOwners } from '../src/rebalance/owners.js';
import { probeRedisBinaries, startRedisCluster, type ThrowAwayCluster } from './redis-servers.js';
import { createStream, plainKinesis, startKinesis, unique, waitFor } from './support.js';

const missing = probeRedisBinaries();
if (missing) console.log(`SKIPPED: kinesis on Redis Cluster — ${missing}`);

describe.runIf(missing === undefined)(
  'kinesis leases and checkpoints on a 3-master Redis Cluster',
  () => {
    let cluster: ThrowAwayCluster;
    let client: Cluster;
    let redis: Redis;
    beforeAll(async () => {
      cluster = await startRedisCluster();
      client = cluster.client();
      redis = client as unknown as Redis;
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    const everyKey = (keys: ReturnType<typeof queueKeys>) => [
      keys.lease('shardId-000000000000'),
      keys.lease('shardId-000000000007'),
      keys.checkpoint('shardId-000000000000'),
      keys.checkpoint('shardId-000000000007'),
      keys.deadLetterIndex,
      keys.deadLetterData,
      keys.instances,
      keys.epoch,
    ];

    it('every key of a stream maps to one slot (CLUSTER KEYSLOT), even with { or } in the key prefix', async () => {
      for (const prefix of ['mqkit', 'a{b', 'x{}y', '}{', '{', 'p}', 'tenant-{42}', '%7B']) {
        for (const [namespace, queue] of [
          [undefined, 'orders'],
          ['prod', 'orders.eu'],
        ] as const) {
          const keys = queueKeys(prefix, namespace, queue);
          const slots = new Set(
            await Promise.all(everyKey(keys).map((k) => client.cluster('KEYSLOT', k))),
          );
          expect(slots.size, `prefix ${JSON.stringify(prefix)}`).toBe(1);
          // The slot is the queue's, whatever the prefix.
          const expected = await client.cluster(
            'KEYSLOT',
            `{${namespace === undefined ? queue : `${namespace}:${queue}`}}`,
          );
          expect([...slots]).toEqual([expected]);
        }
      }
      // Encoding keeps prefixes apart.
      expect(encodeKeyPrefix('a{b')).not.toBe(encodeKeyPrefix('a%7Bb'));
    });

    it('leases, fenced checkpoints, the instance registry and the owners read work on the cluster', async () => {
      const keys = queueKeys(unique('mqkit-cl'), undefined, unique('q'));
      const leases = createRedisLeaseStore(redis, keys);
      const checkpoints = createRedisCheckpointStore(redis, keys);
      const stale = await leases.acquire('shardId-000000000000', 'a', 150);
      if (!stale) throw new Error('no lease');
      expect(await checkpoints.write(stale, '100')).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await leases.renew(stale, 5_000)).toBe('expired');
      const peer = await leases.acquire('shardId-000000000000', 'b', 5_000);
      if (!peer) throw new Error('no lease');
      expect(peer.fence).toBe(stale.fence + 1);
      expect(await checkpoints.write(stale, '300')).toBe('not-owner');
      expect(await checkpoints.write(peer, '50')).toBe('not-forward');
      expect(await checkpoints.write(peer, '200')).toBeUndefined();
      expect(await checkpoints.write(peer, SHARD_END)).toBeUndefined();
      expect(await checkpoints.write(peer, '999')).toBe('shard-end');
      expect((await checkpoints.read('shardId-000000000000'))?.position).toBe(SHARD_END);

      await leases.acquire('shardId-000000000001', 'c', 5_000);
      const owners = await readOwners(redis, keys, [
        'shardId-000000000000',
        'shardId-000000000001',
        'shardId-000000000002',
      ]);
      expect([...owners]).toEqual([
        ['shardId-000000000000', 'b'],
        ['shardId-000000000001', 'c'],
      ]);

      const a = createInstanceRegistry(redis, keys, 'inst-a', 5_000);
      const b = createInstanceRegistry(redis, keys, 'inst-b', 5_000);
      await a.heartbeat();
      expect((await b.heartbeat()).instances).toEqual(['inst-a', 'inst-b']);
      await a.deregister();
      expect((await b.heartbeat()).instances).toEqual(['inst-b']);
    });

    it('a consumer with a Cluster client handles every record of a 2-shard stream once', async () => {
      const kinesis = await startKinesis();
      const plain: KinesisClient = plainKinesis(kinesis.endpoint);
      try {
        const stream = unique('cl');
        await createStream(plain, stream, 2);
        const mq = createKinesisQueue({
          kinesis: plain,
          redis: client,
          keyPrefix: 'tenant-{7}',
          logger: pino({ level: 'silent' }),
        });
        const { ids } = await mq.publish(
          stream,
          Array.from({ length: 200 }, (_, n) => ({ type: 't', payload: { n } })),
        );
        const seen = new Map<string, number>();
        mq.consume(
          stream,
          async (messages: Message[]) => {
            for (const m of messages) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
          },
          { pollIntervalMs: 50, minPollIntervalMs: 10, batchSize: 50 },
        );
        await waitFor(() => seen.size === ids.length, 15_000, 'every record handled');
        await mq.close({ timeoutMs: 2_000 });
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
      } finally {
        plain.destroy();
        await kinesis.stop();
      }
    }, 30_000);
  },
);

import { createKinesisQueue } from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  plainKinesis,
  probeRedis,
  REDIS_URL,
  startKinesis,
  unique,
  waitFor,
} from '../../../packages/kinesis/test/support.js';
import { jsonOf, mqkit } from './run-cli.js';

// The `mqkit` shard commands against kinesalite and the machine's Redis (keys under a unique
// prefix, deleted afterwards). A real consumer holds the leases while the CLI looks and repairs.
const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: mqkit CLI on kinesis — ${unreachable}`);

interface Shard {
  shardId: string;
  owner?: string;
  fence?: number;
  leaseLive: boolean;
  checkpoint?: string;
  open: boolean;
  checkpointAgeMs?: number;
  lagMs?: number;
  lagError?: string;
}

describe.runIf(unreachable === undefined)('mqkit CLI on kinesis', () => {
  let kinesis: Awaited<ReturnType<typeof startKinesis>>;
  let redis: Redis;
  const keyPrefix = unique('mqkit-cli');
  const queue = unique('clistream');
  const env = (): Record<string, string> => ({
    MQKIT_REDIS_URL: REDIS_URL,
    MQKIT_KINESIS_ENDPOINT: kinesis.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const cli = (...args: string[]) => mqkit(['--key-prefix', keyPrefix, ...args], env());
  const leaseKey = (shard: string) => `${keyPrefix}:{${queue}}:lease:${shard}`;
  const checkpointKey = (shard: string) => `${keyPrefix}:{${queue}}:checkpoint:${shard}`;

  /** A Kinesis queue of this test's key prefix on a plain client; `close` also frees the client. */
  const queueWith = (shardCount: number) => {
    const client = plainKinesis(kinesis.endpoint);
    const mq = createKinesisQueue({
      kinesis: client,
      redis,
      keyPrefix,
      autoCreate: { shardCount },
      logger: pino({ level: 'silent' }),
    });
    const close = async (): Promise<void> => {
      await mq.close({ timeoutMs: 0 });
      client.destroy();
    };
    return { mq, close };
  };

  beforeAll(async () => {
    kinesis = await startKinesis();
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await kinesis.stop();
  });

  it('shards shows what the lease store holds; lease release and checkpoint set repair it, refusing a live owner', async () => {
    const { mq, close } = queueWith(2);
    let handled = 0;
    const consumer = mq.consume(queue, async () => {
      handled++;
    });
    try {
      await mq.publish(
        queue,
        Array.from({ length: 10 }, (_, i) => ({
          type: 't',
          payload: { i },
          partitionKey: `k${i}`,
        })),
      );
      await waitFor(() => handled >= 10, 30_000, '10 records handled');
      await waitFor(
        async () => (await redis.hget(checkpointKey('shardId-000000000000'), 'position')) !== null,
        15_000,
        'a checkpoint',
      );

      // shards: owner, fence and checkpoint exactly as Redis holds them.
      const shards = jsonOf<Shard[]>(await cli('--json', 'shards', queue));
      expect(shards.map((s) => s.shardId)).toEqual([
        'shardId-000000000000',
        'shardId-000000000001',
      ]);
      for (const s of shards) {
        const lease = await redis.hgetall(leaseKey(s.shardId));
        expect(s.owner).toBe(lease.owner);
        expect(s.fence).toBe(Number(lease.fence));
        expect(s.leaseLive).toBe(true);
        expect(s.open).toBe(true);
        expect(s.checkpoint).toBe(
          (await redis.hget(checkpointKey(s.shardId), 'position')) ?? undefined,
        );
      }
      // instances: the registry's members with the shards each holds.
      const instances = jsonOf<{ id: string; heartbeatAgeMs: number; shards: string[] }[]>(
        await cli('--json', 'instances', queue),
      );
      const members = await redis.zrange(`${keyPrefix}:{${queue}}:instances`, '0', '-1');
      expect(instances.map((i) => i.id).sort()).toEqual([...members].sort());
      expect(instances.flatMap((i) => i.shards).sort()).toEqual(shards.map((s) => s.shardId));
      expect(instances.every((i) => i.heartbeatAgeMs < 60_000)).toBe(true);
      const table = await cli('shards', queue);
      expect(table.stdout.split('\n')[0]).toMatch(
        /^SHARD\s+PARENT\s+STATE\s+OWNER\s+FENCE\s+LEASE\s+CHECKPOINT/,
      );

      // checkpoint set while a live consumer holds the shard: refused, nothing written.
      const shard = 'shardId-000000000000';
      const before = await redis.hget(checkpointKey(shard), 'position');
      const refused = await cli('checkpoint', 'set', queue, shard, '1', '--yes');
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/leased by live consumer/);
      expect(await redis.hget(checkpointKey(shard), 'position')).toBe(before);

      // lease release: the owner is cleared and the fence kept (a re-acquire gets a greater one).
      const fence = Number(await redis.hget(leaseKey(shard), 'fence'));
      const released = jsonOf<{ previousOwner: string }>(
        await cli('--json', 'lease', 'release', queue, shard, '--yes'),
      );
      expect(released.previousOwner).toBe(shards[0]?.owner);
      const after = await redis.hgetall(leaseKey(shard));
      expect(after.owner === '' ? Number(after.fence) === fence : Number(after.fence) > fence).toBe(
        true,
      );
    } finally {
      await consumer.stop();
      await close();
    }

    // No consumer now: checkpoint set writes (backwards too), and --json says what it was.
    const shard = 'shardId-000000000001';
    const previous = await redis.hget(checkpointKey(shard), 'position');
    const set = jsonOf<{ previous: string | null }>(
      await cli('--json', 'checkpoint', 'set', queue, shard, '1', '--yes'),
    );
    expect(set.previous).toBe(previous);
    expect(await redis.hget(checkpointKey(shard), 'position')).toBe('1');
    const bad = await cli('checkpoint', 'set', queue, shard, 'latest', '--yes');
    expect(bad.code).toBe(2);
    const unknown = await cli('checkpoint', 'set', queue, 'shardId-000000000009', '1', '--yes');
    expect(unknown.code).toBe(3);
  }, 120_000);
  it('shards reports lag (age of the oldest unhandled record) apart from checkpoint age, and the SDK prints no Node-version warning', async () => {
    const lagQueue = unique('clilag');
    const { mq, close } = queueWith(1);
    const shardOf = async () => {
      const run = await cli('--json', 'shards', lagQueue);
      expect(run.stderr).not.toMatch(/NodeVersionSupportWarning/);
      return jsonOf<Shard[]>(run)[0] as Shard;
    };
    const drain = async (count: number) => {
      let handled = 0;
      const consumer = mq.consume(lagQueue, async (ms) => {
        handled += ms.length;
      });
      await waitFor(() => handled >= count, 30_000, `${count} records handled`);
      await consumer.stop();
    };
    try {
      await mq.publish(
        lagQueue,
        [1, 2, 3].map((i) => ({ type: 't', payload: i })),
      );
      // Never checkpointed: lag unknown, and said why.
      const fresh = await shardOf();
      expect(fresh.lagMs).toBeUndefined();
      expect(fresh.lagError).toMatch(/never checkpointed/);
      await drain(3);
      // Caught up, then idle: no lag, though the checkpoint grows old.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const idle = await shardOf();
      expect(idle.lagMs).toBe(0);
      expect(idle.checkpointAgeMs).toBeGreaterThanOrEqual(1_000);
      // Records nobody handled for ~1.5 s: that is the lag.
      await mq.publish(
        lagQueue,
        [4, 5].map((i) => ({ type: 't', payload: i })),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const behind = await shardOf();
      expect(behind.lagMs).toBeGreaterThanOrEqual(1_000);
      expect(behind.lagMs).toBeLessThan(60_000);
      expect(behind.lagError).toBeUndefined();
      const table = await cli('shards', lagQueue);
      expect(table.stdout.split('\n')[0]).toMatch(/\sCHECKPOINT\s+LAG\s+CHECKPOINT-AGE$/);
      expect(table.stderr).toBe('');
    } finally {
      await close();
    }
  }, 120_000);
  it('peek shows the records after the checkpoint (payloads only with --payloads) and moves nothing', async () => {
    const peekQueue = unique('clipeek');
    const { mq, close } = queueWith(1);
    const shard = 'shardId-000000000000';
    const checkpointOf = () => redis.hgetall(`${keyPrefix}:{${peekQueue}}:checkpoint:${shard}`);
    try {
      const handled = await mq.publish(
        peekQueue,
        [1, 2].map((i) => ({ type: 'done', payload: { card: `card-${i}` } })),
      );
      const consumer = mq.consume(peekQueue, async () => undefined);
      await waitFor(
        async () => (await checkpointOf()).position === handled.positions?.[1],
        30_000,
        'first two records checkpointed',
      );
      await consumer.stop();
      const waiting = await mq.publish(
        peekQueue,
        [4242, 4343].map((n) => ({ type: 'order', payload: { card: `card-${n}` } })),
      );
      const before = await checkpointOf();

      const peeked = jsonOf<
        {
          id: string;
          type: string;
          attempt: number;
          payload?: unknown;
          meta: { shardId: string };
        }[]
      >(await cli('--json', 'peek', peekQueue));
      expect(peeked.map((m) => m.id)).toEqual(waiting.ids);
      expect(peeked.every((m) => !('payload' in m) && m.attempt === 1)).toBe(true);
      expect(peeked.map((m) => m.meta.shardId)).toEqual([shard, shard]);
      const plain = await cli('peek', peekQueue);
      expect(plain.code).toBe(0);
      expect(plain.stderr).toBe('');
      expect(plain.stdout.split('\n')[0]).toMatch(
        /^ID\s+TYPE\s+ATTEMPT\s+PRIORITY\s+KEY\s+WAITING$/,
      );
      expect(plain.stdout).toContain(waiting.ids[0]);
      expect(plain.stdout).not.toContain('card-');
      const withPayloads = await cli('peek', peekQueue, '--payloads', '--limit', '1');
      expect(withPayloads.stdout).toContain('card-4242');
      expect(withPayloads.stdout).not.toContain('card-4343');
      expect(withPayloads.stdout).not.toContain('card-1');
      expect(await checkpointOf()).toEqual(before);

      // A queue whose stream does not exist is unknown (exit 3), in one line.
      const missing = await cli('peek', 'no_such_peek_stream');
      expect(missing.code).toBe(3);
      expect(missing.stderr).toBe(
        'mqkit: unknown queue "no_such_peek_stream": its Kinesis stream does not exist\n',
      );

      // A queue the app maps to another stream (`streams` option): --stream names it.
      const mapped = await cli('--json', 'peek', 'orders-alias', '--stream', peekQueue);
      expect(jsonOf<{ id: string }[]>(mapped).map((m) => m.id)).toEqual([
        ...handled.ids,
        ...waiting.ids,
      ]); // no checkpoint under the alias's keys: from TRIM_HORIZON
      const notKinesis = await mqkit([
        '--url',
        'postgres://127.0.0.1:1/test',
        'peek',
        'q',
        '--stream',
        peekQueue,
      ]);
      expect(notKinesis.code).toBe(2);
      expect(notKinesis.stderr).toMatch(/--stream applies to Kinesis only/);
    } finally {
      await close();
    }
  }, 120_000);
});

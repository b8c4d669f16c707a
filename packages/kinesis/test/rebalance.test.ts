import type { Consumer, LifecycleEvent, Message } from '@mqkit/core';
import {
  createKinesisQueue,
  createRedisCheckpointStore,
  type KinesisQueue,
  queueKeys,
} from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useConsumerHarness } from './harness.js';
import { startRedisServer } from './redis-servers.js';
import { createStream, probeRedis, REDIS_URL, unique, waitFor } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis rebalancing — ${unreachable}`);

describe.runIf(unreachable === undefined)('kinesis rebalancing across instances', () => {
  const harness = useConsumerHarness('mqkit-rebal');

  const consumeOptions = {
    visibilityTimeoutMs: 3_000,
    heartbeatIntervalMs: 500,
    pollIntervalMs: 50,
    minPollIntervalMs: 10,
  };

  /** One instance: its own queue object and Redis connection, as a separate process would have. */
  function instance(events: LifecycleEvent[] = [], consumer: Record<string, unknown> = {}) {
    const own = new Redis(REDIS_URL);
    const mq: KinesisQueue = createKinesisQueue({
      kinesis: { endpoint: harness.kinesis.endpoint, region: 'us-east-1', credentials: creds },
      redis: own,
      keyPrefix: harness.prefix,
      logger: pino({ level: 'silent' }),
      lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) },
      consumer: { rebalanceDampingMs: 300, ...consumer },
    });
    harness.cleanups.push(() => own.disconnect());
    harness.cleanups.push(() => mq.close({ timeoutMs: 2_000 }));
    return mq;
  }
  const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

  async function owners(stream: string, shards: number): Promise<Map<string, number>> {
    const keys = queueKeys(harness.prefix, undefined, stream);
    const [time] = await harness.redis.time();
    const now = Number(time) * 1000;
    const counts = new Map<string, number>();
    for (let i = 0; i < shards; i++) {
      const lease = await harness.redis.hgetall(
        keys.lease(`shardId-${String(i).padStart(12, '0')}`),
      );
      if (lease.owner && Number(lease.expiresAt) > now)
        counts.set(lease.owner, (counts.get(lease.owner) ?? 0) + 1);
    }
    return counts;
  }

  it('three instances share 8 shards 3/3/2, a joining fourth owns its share within 5 s, and a clean stop hands its shards over at once', async () => {
    const stream = unique('rebal');
    await createStream(harness.plain, stream, 8);
    const seen = new Map<string, number>();
    const handler = async (messages: Message[]) => {
      for (const m of messages) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
    };
    const consumers: Consumer[] = [];
    for (let i = 0; i < 3; i++) consumers.push(instance().consume(stream, handler, consumeOptions));
    await waitFor(
      async () => {
        const c = [...(await owners(stream, 8)).values()].sort();
        return c.join() === '2,3,3';
      },
      15_000,
      'a 3/3/2 spread',
    );
    const producer = instance();
    const batch = Array.from({ length: 400 }, (_, n) => ({
      type: 't',
      payload: { n },
      partitionKey: `k${n % 40}`,
    }));
    const { ids } = await producer.publish(stream, batch);

    const joinedAt = Date.now();
    const fourth = instance().consume(stream, handler, consumeOptions);
    await waitFor(
      async () => (await owners(stream, 8)).get(fourth.id) === 2,
      5_000,
      'the fourth instance owning 2 shards',
    );
    const joinMs = Date.now() - joinedAt;
    await waitFor(
      async () => [...(await owners(stream, 8)).values()].every((n) => n === 2),
      5_000,
      'a 2/2/2/2 spread',
    );

    const leaver = consumers[0] as Consumer;
    const keys = queueKeys(harness.prefix, undefined, stream);
    await leaver.stop({ timeoutMs: 2_000 });
    expect(await harness.redis.zscore(keys.instances, leaver.id)).toBeNull();
    // Well before the 3 s lease TTL (the leases were released, not left to expire).
    const stoppedAt = Date.now();
    await waitFor(
      async () => {
        const o = await owners(stream, 8);
        return [...o.values()].reduce((a, b) => a + b, 0) === 8 && !o.has(leaver.id);
      },
      2_500,
      'the survivors owning all 8 shards',
    );
    const handOverMs = Date.now() - stoppedAt;
    await waitFor(() => ids.every((id) => seen.has(id)), 10_000, 'every record handled');
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    console.log(`join → fair share ${joinMs} ms; clean stop → all shards owned ${handOverMs} ms`);
  }, 60_000);

  it('the watchdog gives up the lease of a loop stuck in a call that never returns, and a peer handles the record', async () => {
    const stream = unique('watchdog');
    await createStream(harness.plain, stream, 1);
    const producer = instance();
    await producer.publish(stream, { type: 't', payload: { n: 1 }, id: 'stuck-1' });
    // A's checkpoint store is the real Redis one whose writes hang (a store on a database that
    // stopped answering): its shard loop makes no progress while its lease renewals go on.
    const own = new Redis(REDIS_URL);
    harness.cleanups.push(() => own.disconnect());
    let writes = 0;
    const eventsA: LifecycleEvent[] = [];
    const hung = createKinesisQueue({
      kinesis: { endpoint: harness.kinesis.endpoint, region: 'us-east-1', credentials: creds },
      redis: own,
      keyPrefix: harness.prefix,
      logger: pino({ level: 'silent' }),
      lifecycle: { name: 'rec', onEvent: (e) => void eventsA.push(e) },
      consumer: { watchdogMs: 1_500 },
      checkpointStore: (queue) => {
        const store = createRedisCheckpointStore(own, queueKeys(harness.prefix, undefined, queue));
        return {
          ...store,
          write: () => {
            writes++;
            return new Promise(() => {});
          },
        };
      },
    });
    harness.cleanups.push(() => hung.close({ timeoutMs: 500 }).catch(() => {}));
    const handledByA: string[] = [];
    const a = hung.consume(
      stream,
      async (messages) => {
        for (const m of messages) handledByA.push(m.id);
      },
      consumeOptions,
    );
    await waitFor(() => writes === 1, 10_000, "A's checkpoint write to hang");
    const handledByB: string[] = [];
    const b = instance().consume(
      stream,
      async (messages) => {
        for (const m of messages) handledByB.push(m.id);
      },
      consumeOptions,
    );
    await waitFor(() => handledByB.includes('stuck-1'), 10_000, 'the peer to handle the record');
    expect(handledByA).toEqual(['stuck-1']);
    expect(
      eventsA.some(
        (e) => e.type === 'backendError' && e.operation === 'watchdog' && e.queue === stream,
      ),
    ).toBe(true);
    // The stuck loop is no longer renewed: the lease is the peer's.
    expect((await owners(stream, 1)).get(b.id)).toBe(1);
    expect(a.id).not.toBe(b.id);
  }, 30_000);

  it('an instance whose Redis becomes unreachable reports heartbeatFailed and stops its shard loop before the lease could expire', async () => {
    const server = await startRedisServer();
    const stream = unique('unreachable');
    await createStream(harness.plain, stream, 1);
    const events: LifecycleEvent[] = [];
    const own = new Redis(server.url, { maxRetriesPerRequest: 0 });
    own.on('error', () => {});
    const mq = createKinesisQueue({
      kinesis: { endpoint: harness.kinesis.endpoint, region: 'us-east-1', credentials: creds },
      redis: own,
      keyPrefix: harness.prefix,
      logger: pino({ level: 'silent' }),
      lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) },
    });
    try {
      mq.consume(stream, async () => {}, { ...consumeOptions, visibilityTimeoutMs: 2_000 });
      await waitFor(() => events.some((e) => e.type === 'leaseAcquired'), 10_000, 'a lease');
      const renewals = () => events.filter((e) => e.type === 'leaseRenewed').length;
      await waitFor(() => renewals() > 0, 5_000, 'a renewal');
      const killedAt = Date.now();
      await server.kill();
      await waitFor(() => events.some((e) => e.type === 'leaseLost'), 5_000, 'the loop to stop');
      const stoppedAfterMs = Date.now() - killedAt;
      // The last renewal was sent before the kill: Redis could not expire the lease before
      // killedAt + 2 000 at the earliest minus one renew interval; the loop ended before that.
      expect(stoppedAfterMs).toBeLessThan(2_000);
      await waitFor(
        () => events.some((e) => e.type === 'heartbeatFailed'),
        5_000,
        'heartbeatFailed events',
      );
    } finally {
      await mq.close({ timeoutMs: 500 }).catch(() => {});
      own.disconnect();
      await server.kill();
    }
  }, 30_000);
});

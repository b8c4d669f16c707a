import { createKinesisQueue } from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  plainKinesis,
  probeRedis,
  REDIS_URL,
  startKinesis,
  unique,
} from '../../packages/kinesis/test/support.js';
import { defineConformanceSuite } from './suite.js';

// Kinesis is kinesalite in-process (or KINESIS_ENDPOINT); leases, checkpoints and dead letters
// live in the machine's shared Redis under a key prefix unique to this run. Streams are created
// on first use (autoCreate, 1 shard). The user-supplied clients are one KinesisClient and one
// ioredis client shared by every queue instance.
const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis conformance — ${unreachable}`);

describe.runIf(unreachable === undefined)('kinesis', () => {
  let kinesis: Awaited<ReturnType<typeof startKinesis>>;
  let client: ReturnType<typeof plainKinesis>;
  let redis: Redis;
  const keyPrefix = unique('mqkit-conf');
  beforeAll(async () => {
    kinesis = await startKinesis();
    client = plainKinesis(kinesis.endpoint);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    client.destroy();
    await kinesis.stop();
  });
  defineConformanceSuite({
    name: 'kinesis',
    create: (options) =>
      createKinesisQueue({
        ...options,
        kinesis: client,
        redis,
        keyPrefix,
        // One shard: a batch never spans shards (each shard is checkpointed on its own), so the
        // suite's exact batch sizes need one; multi-shard behaviour is tested in the package.
        autoCreate: { shardCount: 1 },
      }),
    async userClientOpen() {
      await redis.ping();
      return true;
    },
    // A stream has no per-message ready/delayed/in-flight state: stats() reports them as null.
    unmeasuredStats: ['ready', 'delayed', 'inFlight', 'oldestReadyAgeMs'],
    timeScale: 2,
  });
});

// Set-up shared by the consumer tests (imports vitest: keep it out of support.ts, which the
// e2e worker processes import).
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LifecycleEvent } from '@mqkit/core';
import { createKinesisQueue, type KinesisQueueOptions, queueKeys } from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  createStream,
  type Faults,
  faultyKinesis,
  plainKinesis,
  REDIS_URL,
  startKinesis,
  unique,
} from './support.js';

/**
 * The shared set-up of the consumer tests: kinesalite (or `KINESIS_ENDPOINT`) and Redis for the
 * enclosing `describe`, a unique key prefix whose keys are deleted afterwards, and `setup()` for a
 * fresh stream plus a queue on a {@link faultyKinesis} client that records its lifecycle events.
 * Queues and clients made by `setup()` are closed after each test. Call inside `describe`.
 */
export function useConsumerHarness(name: string) {
  const prefix = unique(name);
  const cleanups: (() => Promise<void> | void)[] = [];
  const state = {} as {
    kinesis: Awaited<ReturnType<typeof startKinesis>>;
    plain: KinesisClient;
    redis: Redis;
  };
  beforeAll(async () => {
    state.kinesis = await startKinesis();
    state.plain = plainKinesis(state.kinesis.endpoint);
    state.redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    const keys = await state.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await state.redis.del(...keys);
    state.redis.disconnect();
    state.plain.destroy();
    await state.kinesis.stop();
  });

  async function setup(
    shards: number,
    options: Partial<KinesisQueueOptions> = {},
    faults: Faults = {},
  ) {
    const stream = unique('cons');
    await createStream(state.plain, stream, shards);
    const faulty = faultyKinesis(state.kinesis.endpoint, faults);
    const events: LifecycleEvent[] = [];
    const mq = createKinesisQueue({
      kinesis: faulty.client,
      redis: state.redis,
      keyPrefix: prefix,
      logger: pino({ level: 'silent' }),
      lifecycle: { name: 'rec', onEvent: (e) => void events.push(e) },
      ...options,
    });
    cleanups.push(() => faulty.client.destroy());
    cleanups.push(() => mq.close({ timeoutMs: 1_000 }));
    return {
      stream,
      mq,
      events,
      faults: faulty.faults,
      observed: faulty.observed,
      keys: queueKeys(prefix, undefined, stream),
    };
  }

  return {
    prefix,
    /** Run after each test (reverse order). */
    cleanups,
    get kinesis() {
      return state.kinesis;
    },
    /** A fault-free client on the emulator. */
    get plain() {
      return state.plain;
    },
    get redis() {
      return state.redis;
    },
    setup,
  };
}

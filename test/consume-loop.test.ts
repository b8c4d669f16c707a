/**
 * Failure modes of the shared consume loop (`runConsumer` from `@mqkit/core/provider`), driven
 * through the public provider seam (`ConsumerBackend`) over a small lease store that can inject
 * backend faults (an outage, a failing write, a failing heartbeat), the way a database outage
 * looks to a provider.
 */
import { jsonSerializer, type LifecycleEvent } from '@mqkit/core';
import { resolveConsumeOptions, resolveQueueOptions, runConsumer } from '@mqkit/core/provider';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sleep, uniqueQueue, waitFor } from './conformance/helpers.js';
import { type Faults, ListStore } from './support/list-backend.js';

function setup(
  faults: Partial<Faults>,
  consumeOptions: Parameters<typeof resolveConsumeOptions>[0],
  count = 10,
) {
  const queue = uniqueQueue();
  const store = new ListStore({ claim: 0, settle: 0, extend: 0, ...faults });
  store.add(...Array.from({ length: count }, (_, i) => ({ id: `m${i}`, payload: i })));
  const events: LifecycleEvent[] = [];
  const common = resolveQueueOptions(
    {
      logger: pino({ level: 'silent' }),
      lifecycle: { name: 'collect', onEvent: (e) => void events.push(e) },
    },
    'test',
    [],
  );
  const handled: number[] = [];
  const consumer = runConsumer({
    backend: store.backend(),
    queue,
    handler: async (messages) => {
      for (const m of messages) handled.push(m.payload as number);
    },
    options: resolveConsumeOptions(consumeOptions, 'test'),
    provider: 'test',
    logger: common.logger,
    lifecycle: common.lifecycle,
    serializer: jsonSerializer,
  });
  return { store, events, calls: store.calls, handled, consumer };
}

describe('consume loop under backend failures', () => {
  it('opens the circuit after consecutive claim failures, probes, closes, and delivers everything', async () => {
    const { events, calls, handled, consumer } = setup(
      { claim: 6 },
      {
        minPollIntervalMs: 5,
        pollIntervalMs: 50,
        circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 300 },
      },
    );
    await waitFor(() => handled.length >= 10, 10_000, 'all handled after the outage');
    await consumer.stop();
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'backendError')).toHaveLength(6);
    expect(types.filter((t) => t === 'circuitOpened')).toHaveLength(1);
    expect(types.filter((t) => t === 'circuitClosed')).toHaveLength(1);
    expect(types.indexOf('circuitOpened')).toBeLessThan(types.indexOf('circuitClosed'));
    expect([...handled].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 6 failures + the successful probe and the claims that followed; no hot loop during the outage.
    expect(calls.claim).toBeLessThan(30);
  });

  it('keeps polling slowly, not in a hot loop, while the backend is down', async () => {
    const { calls, consumer } = setup(
      { claim: 1_000 },
      {
        minPollIntervalMs: 10,
        pollIntervalMs: 100,
        circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 200 },
      },
    );
    await sleep(1_000);
    await consumer.stop();
    // 5 quick retries (10, 20, 40, 80, 100 ms) then one probe per 200 ms: about 8 calls in a second.
    expect(calls.claim).toBeGreaterThanOrEqual(5);
    expect(calls.claim).toBeLessThanOrEqual(12);
  });

  it('retries a failed acknowledgement write without redelivering or losing the message', async () => {
    const { store, events, handled, consumer } = setup(
      { settle: 2 },
      { concurrency: 2, minPollIntervalMs: 5 },
    );
    await waitFor(
      () => handled.length >= 10 && store.rows.length === 0,
      10_000,
      'all acknowledged',
    );
    await consumer.stop();
    expect(handled).toHaveLength(10);
    expect(
      events.filter((e) => e.type === 'backendError' && e.operation === 'settle'),
    ).toHaveLength(2);
  });

  it('aborts handlers with a lease-lost reason when heartbeats keep failing past the lease', async () => {
    const queue = uniqueQueue();
    const store = new ListStore({ claim: 0, settle: 0, extend: 100 });
    store.add({ id: 'slow', payload: 'slow' });
    const reasons: unknown[] = [];
    const common = resolveQueueOptions({ logger: pino({ level: 'silent' }) }, 'test', []);
    const consumer = runConsumer({
      backend: store.backend(),
      queue,
      handler: async (_messages, ctx) => {
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        reasons.push(ctx.signal.reason);
      },
      options: resolveConsumeOptions({ visibilityTimeoutMs: 300, heartbeatIntervalMs: 50 }, 'test'),
      provider: 'test',
      logger: common.logger,
      lifecycle: common.lifecycle,
      serializer: jsonSerializer,
    });
    await waitFor(() => reasons.length === 1, 5_000, 'lease-lost abort');
    await consumer.stop();
    expect((reasons[0] as { code?: string }).code).toBe('MQKIT_LEASE_LOST');
  });

  it('limits handler starts with the token bucket rate limit', async () => {
    const { handled, consumer } = setup(
      {},
      { concurrency: 10, rateLimit: { perSecond: 20, burst: 2 } },
      12,
    );
    const started = Date.now();
    await waitFor(() => handled.length >= 12, 10_000, '12 handled');
    const elapsed = Date.now() - started;
    await consumer.stop();
    // 2 at once, then 20 per second: the other 10 need about 500 ms.
    expect(elapsed).toBeGreaterThanOrEqual(400);
  });
});

describe('consume loop timing', () => {
  it("a handler's work after its last await counts in durationMs and precedes finishedAt", async () => {
    const store = new ListStore({ claim: 0, settle: 0, extend: 0 });
    store.add(...Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, payload: i })));
    const events: LifecycleEvent[] = [];
    const { logger, lifecycle } = resolveQueueOptions(
      {
        logger: pino({ level: 'silent' }),
        lifecycle: { name: 'collect', onEvent: (e) => void events.push(e) },
      },
      'test',
      [],
    );
    const ended = new Map<string, number>();
    const consumer = runConsumer({
      backend: store.backend(),
      queue: uniqueQueue(),
      // All six wake in one timers phase; each then works 10 ms synchronously.
      handler: async ([m]) => {
        await sleep(5);
        const until = Date.now() + 10;
        while (Date.now() < until) {
          // synchronous work
        }
        ended.set(m?.id as string, Date.now());
      },
      options: resolveConsumeOptions({ batchSize: 1, concurrency: 6 }, 'test'),
      provider: 'test',
      logger,
      lifecycle,
      serializer: jsonSerializer,
    });
    await waitFor(() => events.filter((e) => e.type === 'succeeded').length === 6, 10_000, '6');
    await consumer.stop();
    for (const e of events) {
      if (e.type !== 'succeeded') continue;
      expect(e.finishedAt).toBeGreaterThanOrEqual(
        ended.get(e.messages.at(0)?.id as string) as number,
      );
      expect(e.durationMs).toBeGreaterThanOrEqual(10);
    }
  });
});

import { readFileSync } from 'node:fs';
import { ConfigurationError, type LifecycleProvider, NonRetryableError } from '@mqkit/core';
import { messageInfoList } from '@mqkit/core/provider';
import { createMemoryQueue } from '@mqkit/memory';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusLifecycle, METRIC } from '../src/index.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

/** The value of one series in the registry's exposition (undefined when absent). */
async function value(registry: Registry, series: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('@mqkit/prometheus', () => {
  it('observes every message age of a succeeded event, messages published together or not', async () => {
    const registry = new Registry();
    const lifecycle = createPrometheusLifecycle({ registry });
    const at = (ms: number) => ({
      id: `m${ms}`,
      type: 't',
      attempt: 1,
      partitionKey: undefined,
      createdAt: new Date(ms),
    });
    // Ages at finishedAt 60 000: 40 s ×3 (published together), 7 s ×2, 0.5 s, 40 s again, 7 s.
    const created = [20_000, 20_000, 20_000, 53_000, 53_000, 59_500, 20_000, 53_000];
    void lifecycle.onEvent({
      type: 'succeeded',
      provider: 'memory',
      queue: 'ages',
      consumerId: 'c',
      messages: messageInfoList(created.map(at)),
      durationMs: 3,
      calls: 8,
      finishedAt: 60_000,
    });
    const L = '{queue="ages",provider="memory"}';
    const bucket = (le: string) =>
      value(
        registry,
        `mqkit_message_age_seconds_bucket{le="${le}",queue="ages",provider="memory"}`,
      );
    expect(await value(registry, `mqkit_message_age_seconds_count${L}`)).toBe(8);
    expect(await value(registry, `mqkit_message_age_seconds_sum${L}`)).toBe(4 * 40 + 3 * 7 + 0.5);
    expect(await bucket('0.1')).toBe(0);
    expect(await bucket('0.5')).toBe(1);
    expect(await bucket('5')).toBe(1);
    expect(await bucket('10')).toBe(4);
    expect(await bucket('30')).toBe(4);
    expect(await bucket('60')).toBe(8);
    expect(await value(registry, `mqkit_messages_succeeded_total${L}`)).toBe(8);
    expect(
      await value(
        registry,
        `mqkit_handler_duration_seconds_count{queue="ages",provider="memory",outcome="success"}`,
      ),
    ).toBe(8);
  });

  it('counts published, delivered, succeeded, failed, retried and dead-lettered messages exactly', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry });
    const mq = createMemoryQueue({ lifecycle: metrics, logger: silent });
    await mq.publish('orders', [
      ...Array.from({ length: 6 }, (_, i) => ({ type: 'ok', payload: i })),
      ...Array.from({ length: 3 }, (_, i) => ({ type: 'flaky', payload: i })),
      { type: 'fatal', payload: 0 },
    ]);
    const consumer = mq.consume(
      'orders',
      async ([m]) => {
        if (m?.type === 'flaky' && m.attempt === 1) throw new Error('first attempt fails');
        if (m?.type === 'fatal') throw new NonRetryableError('never');
      },
      { retry: { maxAttempts: 3, backoff: { initialMs: 5, factor: 1, maxMs: 5, jitter: 0 } } },
    );
    const L = '{queue="orders",provider="memory"}';
    await waitFor(async () => (await value(registry, `mqkit_messages_succeeded_total${L}`)) === 9);
    await consumer.stop();
    await mq.close();
    expect(await value(registry, `mqkit_messages_published_total${L}`)).toBe(10);
    expect(await value(registry, `mqkit_messages_delivered_total${L}`)).toBe(13);
    expect(await value(registry, `mqkit_messages_failed_total${L}`)).toBe(4);
    expect(await value(registry, `mqkit_messages_retried_total${L}`)).toBe(3);
    expect(
      await value(
        registry,
        'mqkit_messages_dead_lettered_total{queue="orders",provider="memory",reason="non-retryable"}',
      ),
    ).toBe(1);
    expect(await value(registry, `mqkit_messages_in_flight${L}`)).toBe(0);
    expect(
      await value(
        registry,
        'mqkit_handler_duration_seconds_count{queue="orders",provider="memory",outcome="failure"}',
      ),
    ).toBe(4);
    expect(await value(registry, `mqkit_message_age_seconds_count${L}`)).toBe(9);
  });

  it('after a drain, every scraped count equals the events emitted (batch 1 and batch 100)', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry });
    const seen = { delivered: 0, succeeded: 0, calls: 0, events: 0 };
    const counter: LifecycleProvider = {
      name: 'counter',
      onEvent(e) {
        if (e.type === 'delivered') seen.delivered += e.messages.length;
        if (e.type === 'succeeded') {
          seen.succeeded += e.messages.length;
          seen.calls += e.calls;
          seen.events++;
        }
      },
    };
    let handlerCalls = 0;
    const mq = createMemoryQueue({ lifecycle: [metrics, counter], logger: silent });
    const drain = async (queue: string, n: number, batchSize: number) => {
      await mq.publish(
        queue,
        Array.from({ length: n }, (_, i) => ({ type: 't', payload: i })),
      );
      let handled = 0;
      const consumer = mq.consume(
        queue,
        async (batch) => {
          handlerCalls++;
          handled += batch.length;
        },
        { batchSize, concurrency: 4 },
      );
      await waitFor(() => handled === n);
      await consumer.stop();
    };
    await drain('one', 2_000, 1);
    await drain('hundred', 5_000, 100);
    await mq.close();
    const sum = async (name: string) =>
      (await registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`))
        .reduce((total, l) => total + Number(l.split(' ').pop()), 0);
    expect(seen.succeeded).toBe(7_000);
    expect(await sum('mqkit_messages_delivered_total')).toBe(seen.delivered);
    expect(await sum('mqkit_messages_succeeded_total')).toBe(seen.succeeded);
    expect(await sum('mqkit_message_age_seconds_count')).toBe(seen.succeeded);
    expect(
      await value(
        registry,
        'mqkit_message_age_seconds_bucket{le="+Inf",queue="one",provider="memory"}',
      ),
    ).toBe(2_000);
    // One duration observation per handler call, also where one event reported several calls.
    expect(seen.calls).toBe(handlerCalls);
    expect(seen.events).toBeLessThan(handlerCalls);
    expect(await sum('mqkit_handler_duration_seconds_count')).toBe(handlerCalls);
    expect(await sum('mqkit_messages_in_flight')).toBe(0);
  });

  it('samples depth and oldest age from stats() at scrape time, cached, and follows a backlog down', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry, statsCacheMs: 0 });
    const mq = createMemoryQueue({ lifecycle: metrics, logger: silent });
    let statsCalls = 0;
    const counted = {
      provider: mq.provider,
      stats: (q: string) => {
        statsCalls++;
        return mq.stats(q);
      },
    };
    metrics.watch(counted, ['backlog']);
    await mq.publish(
      'backlog',
      Array.from({ length: 5 }, (_, i) => ({ type: 't', payload: i })),
    );
    await mq.publish('backlog', [{ type: 't', payload: 9, delayMs: 60_000 }]);
    await sleep(30);
    const series = (state: string) =>
      `mqkit_queue_messages{queue="backlog",provider="memory",state="${state}"}`;
    expect(await value(registry, series('ready'))).toBe(5);
    expect(await value(registry, series('delayed'))).toBe(1);
    expect(await value(registry, series('in_flight'))).toBe(0);
    expect(await value(registry, series('dead_lettered'))).toBe(0);
    const age = await value(
      registry,
      'mqkit_queue_oldest_ready_age_seconds{queue="backlog",provider="memory"}',
    );
    expect(age).toBeGreaterThanOrEqual(0.02);
    // One scrape reads stats() once per queue, shared by the two gauges.
    statsCalls = 0;
    await registry.metrics();
    expect(statsCalls).toBe(1);
    const consumer = mq.consume('backlog', async () => {});
    await waitFor(async () => (await value(registry, series('ready'))) === 0);
    await consumer.stop();
    expect(await value(registry, series('delayed'))).toBe(1);
    await mq.close();
  });

  it('reuses a cached sample within statsCacheMs, and a hanging stats() only costs its timeout', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({
      registry,
      statsCacheMs: 60_000,
      statsTimeoutMs: 100,
    });
    const mq = createMemoryQueue({ logger: silent });
    let calls = 0;
    metrics.watch(
      {
        provider: 'memory',
        stats: (q) => {
          calls++;
          return mq.stats(q);
        },
      },
      'cached',
    );
    metrics.watch({ provider: 'stuck', stats: () => new Promise(() => {}) }, 'hangs');
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(3_000);
    await registry.metrics();
    expect(calls).toBe(1);
    expect(text).toContain(
      'mqkit_queue_messages{queue="cached",provider="memory",state="ready"} 0',
    );
    expect(text).not.toContain('queue="hangs",provider="stuck",state');
    expect(
      await value(registry, 'mqkit_stats_errors_total{queue="hangs",provider="stuck"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('several queues and lifecycles share one registry without "already registered" errors', async () => {
    const registry = new Registry();
    const a = createPrometheusLifecycle({ registry });
    const b = createPrometheusLifecycle({ registry });
    const q1 = createMemoryQueue({ lifecycle: a, logger: silent });
    const q2 = createMemoryQueue({ lifecycle: b, logger: silent, namespace: 'other' });
    await q1.publish('one', { type: 't', payload: 1 });
    await q2.publish('two', [
      { type: 't', payload: 1 },
      { type: 't', payload: 2 },
    ]);
    expect(
      await value(registry, 'mqkit_messages_published_total{queue="one",provider="memory"}'),
    ).toBe(1);
    expect(
      await value(registry, 'mqkit_messages_published_total{queue="two",provider="memory"}'),
    ).toBe(2);
    expect(() => createPrometheusLifecycle({ registry, includeType: true })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      createPrometheusLifecycle({ registry, includeType: true, prefix: 'typed_' }),
    ).not.toThrow();
  });

  it('includeType adds a type label to message metrics only', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry, includeType: true });
    const mq = createMemoryQueue({ lifecycle: metrics, logger: silent });
    await mq.publish('typed', [
      { type: 'a', payload: 1 },
      { type: 'a', payload: 2 },
      { type: 'b', payload: 3 },
    ]);
    expect(
      await value(
        registry,
        'mqkit_messages_published_total{queue="typed",provider="memory",type="a"}',
      ),
    ).toBe(2);
    expect(
      await value(
        registry,
        'mqkit_messages_published_total{queue="typed",provider="memory",type="b"}',
      ),
    ).toBe(1);
  });

  it('includeType: gathered one-message calls each count one duration under their own type', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry, includeType: true });
    let events = 0;
    const counter: LifecycleProvider = {
      name: 'counter',
      onEvent(e) {
        if (e.type === 'succeeded') events++;
      },
    };
    const mq = createMemoryQueue({ lifecycle: [metrics, counter], logger: silent });
    const types = ['a', 'a', 'b', 'a', 'b', 'b', 'b', 'a'];
    await mq.publish(
      'typed-calls',
      types.map((type, i) => ({ type, payload: i })),
    );
    let handled = 0;
    const consumer = mq.consume(
      'typed-calls',
      async (batch) => {
        handled += batch.length;
      },
      { batchSize: 1, concurrency: 8 },
    );
    await waitFor(() => handled === types.length);
    await consumer.stop();
    await mq.close();
    // Fewer events than calls, and still one observation per call, under the message's type.
    expect(events).toBeLessThan(types.length);
    const count = (type: string) =>
      value(
        registry,
        `mqkit_handler_duration_seconds_count{queue="typed-calls",provider="memory",type="${type}",outcome="success"}`,
      );
    expect(await count('a')).toBe(4);
    expect(await count('b')).toBe(4);
  });

  it('a throwing lifecycle provider is counted and never affects delivery', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry });
    let thrown = 0;
    const boom: LifecycleProvider = {
      name: 'boom',
      onEvent() {
        thrown++;
        throw new Error('boom');
      },
    };
    const mq = createMemoryQueue({
      lifecycle: [boom, metrics],
      onLifecycleError: metrics.onLifecycleError,
      logger: silent,
    });
    await mq.publish(
      'q',
      Array.from({ length: 20 }, (_, i) => ({ type: 't', payload: i })),
    );
    const seen: number[] = [];
    const consumer = mq.consume('q', async ([m]) => {
      seen.push(m?.payload as number);
    });
    await waitFor(() => seen.length >= 20);
    await consumer.stop();
    await mq.close();
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const text = await registry.metrics();
    const errors = text
      .split('\n')
      .filter((l) => l.startsWith('mqkit_lifecycle_errors_total{lifecycle="boom"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(thrown).toBeGreaterThan(20);
    expect(errors).toBe(thrown);
    expect(
      await value(registry, 'mqkit_messages_succeeded_total{queue="q",provider="memory"}'),
    ).toBe(20);
  });

  it('maps stream events: rebalances, owned shards, lag per shard, checkpoint age, lease failures', async () => {
    const registry = new Registry();
    const metrics = createPrometheusLifecycle({ registry });
    const e = { provider: 'kinesis', queue: 'clicks' };
    await metrics.onEvent({ ...e, type: 'rebalanced', owner: 'i1', owned: ['s-0', 's-1'] });
    await metrics.onEvent({ ...e, type: 'shardLag', shard: 's-0', millisBehindLatest: 2_500 });
    await metrics.onEvent({ ...e, type: 'checkpointed', lease: 's-0', position: '49' });
    await metrics.onEvent({
      ...e,
      type: 'heartbeatFailed',
      consumerId: 'c',
      error: { name: 'E', message: 'x' },
    });
    await metrics.onEvent({ ...e, type: 'leaseLost', lease: 's-1', owner: 'i1' });
    await sleep(20);
    const L = '{queue="clicks",provider="kinesis"}';
    expect(await value(registry, `mqkit_rebalances_total${L}`)).toBe(1);
    expect(await value(registry, `mqkit_owned_shards${L}`)).toBe(2);
    expect(
      await value(
        registry,
        'mqkit_shard_lag_seconds{queue="clicks",provider="kinesis",shard="s-0"}',
      ),
    ).toBe(2.5);
    const age = await value(
      registry,
      'mqkit_checkpoint_age_seconds{queue="clicks",provider="kinesis",shard="s-0"}',
    );
    expect(age).toBeGreaterThanOrEqual(0.015);
    expect(age).toBeLessThan(5);
    expect(await value(registry, `mqkit_lease_renewal_failures_total${L}`)).toBe(1);
    expect(await value(registry, `mqkit_leases_lost_total${L}`)).toBe(1);
    await metrics.onEvent({ ...e, type: 'leaseReleased', lease: 's-0', owner: 'i1' });
    expect((await registry.metrics()).includes('shard="s-0"')).toBe(false);
  });

  it('rejects bad options with ConfigurationError naming the field', () => {
    expect(() => createPrometheusLifecycle({ prefix: 'bad-prefix' })).toThrow(/"prefix"/);
    expect(() => createPrometheusLifecycle({ prefx: 'x' } as never)).toThrow(
      /did you mean "prefix"/,
    );
    expect(() =>
      createPrometheusLifecycle({
        registry: new Registry(),
        buckets: { handlerDuration: [1, 0.5] },
      }),
    ).toThrow(/buckets.handlerDuration/);
    expect(() => createPrometheusLifecycle({ registry: {} as never })).toThrow(ConfigurationError);
    expect(() =>
      createPrometheusLifecycle({ registry: new Registry() }).watch(createMemoryQueue(), []),
    ).toThrow(ConfigurationError);
  });

  it('docs/metrics.md documents every metric the registry exposes', async () => {
    const docs = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const registry = new Registry();
    createPrometheusLifecycle({ registry });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.sort()).toEqual(
      Object.values(METRIC)
        .map((n) => `mqkit_${n}`)
        .sort(),
    );
    for (const name of names)
      expect(docs, `docs/metrics.md lacks ${name}`).toContain(`| \`${name}\``);
  });
});

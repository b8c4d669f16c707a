import { Writable } from 'node:stream';
import {
  ConfigurationError,
  ErrorCode,
  HandlerTimeoutError,
  type LifecycleEvent,
  type LifecycleProvider,
  type MessageQueue,
  MessageTooLargeError,
  NonRetryableError,
  QueueClosedError,
  type QueueOptions,
  SerializationError,
  ShutdownError,
  UnsupportedFeatureError,
  ValidationError,
} from '@mqkit/core';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { correctnessCases } from './correctness.js';
import { recorder, sleep, uniqueQueue, waitFor } from './helpers.js';
import { defineObservabilityCases } from './observability.js';
import { defineOperatorViewCases } from './operator-views.js';
import type { ConformanceTarget } from './target.js';

/** Fast retries so retry cases finish in milliseconds. */
const silent = pino({ level: 'silent' });

const FAST_RETRY = { maxAttempts: 3, backoff: { initialMs: 20, factor: 2, maxMs: 200, jitter: 0 } };

/**
 * The mqkit conformance suite: every provider runs these cases unchanged. Cases read
 * `queue.capabilities` to decide which optional features apply.
 */
export function defineConformanceSuite(target: ConformanceTarget): void {
  const scale = target.timeScale ?? 1;
  const t = (ms: number): number => Math.round(ms * scale);
  const open: MessageQueue[] = [];

  /** Waits until `queue` holds exactly `count` dead letters. */
  async function untilDeadLetters(mq: MessageQueue, queue: string, count: number): Promise<void> {
    await waitFor(
      async () => (await mq.deadLetters.count(queue)) === count,
      t(10_000),
      `${count} dead letter(s)`,
    );
  }

  async function make(options: QueueOptions = {}): Promise<MessageQueue> {
    // Expected warnings (dead letters, failing lifecycle providers) stay out of the test output;
    // the logging cases pass their own logger.
    const queue = await target.create({ logger: silent, ...options });
    open.push(queue);
    return queue;
  }

  describe(`conformance: ${target.name}`, () => {
    beforeAll(async () => {
      await target.setup?.();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close({ timeoutMs: 0 })));
    });
    afterAll(async () => {
      await target.teardown?.();
    });

    correctnessCases({ make, t, untilDeadLetters, target });

    describe('delivery', () => {
      it('init() is idempotent, concurrent-safe, and the queue delivers after it', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.init();
        await Promise.all([mq.init(), mq.init(), mq.init()]);
        await mq.init();
        const { ids } = await mq.publish(queue, { type: 'after-init', payload: { n: 1 } });
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 1, t(10_000), '1 delivery');
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.id)).toEqual(ids);
        expect(rec.deliveries[0]?.payload).toEqual({ n: 1 });
      });

      it('delivers every published message once, with type, payload and headers intact', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const inputs = Array.from({ length: 100 }, (_, i) => ({
          type: i % 2 ? 'odd' : 'even',
          payload: { i, nested: { list: [i, `s${i}`], flag: i % 3 === 0 } },
          headers: { traceparent: `00-${i}` },
        }));
        const { ids } = await mq.publish(queue, inputs);
        expect(ids).toHaveLength(100);
        expect(new Set(ids).size).toBe(100);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { concurrency: 8 });
        await waitFor(() => rec.deliveries.length >= 100, t(10_000), '100 deliveries');
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(100);
        const byId = new Map(rec.deliveries.map((d) => [d.id, d]));
        ids.forEach((id, i) => {
          const d = byId.get(id);
          expect(d?.type).toBe(inputs[i]?.type);
          expect(d?.payload).toEqual(inputs[i]?.payload);
          expect(d?.message.headers).toEqual(inputs[i]?.headers);
        });
      });

      it('uses given ids, returns ids in input order, and fills the message model', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const before = Date.now();
        const { ids } = await mq.publish(queue, [
          { id: 'order-1', type: 't', payload: 1 },
          { type: 't', payload: 2 },
          { id: 'order-3', type: 't', payload: 3, partitionKey: 'k1' },
        ]);
        expect(ids[0]).toBe('order-1');
        expect(ids[2]).toBe('order-3');
        expect(typeof ids[1]).toBe('string');
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { retry: { maxAttempts: 7 } });
        await waitFor(() => rec.deliveries.length >= 3, t(10_000), '3 deliveries');
        await consumer.stop();
        const m = rec.deliveries.find((d) => d.id === 'order-3')?.message;
        expect(m).toBeDefined();
        expect(m?.queue).toBe(queue);
        expect(m?.attempt).toBe(1);
        expect(m?.maxAttempts).toBe(7);
        expect(m?.partitionKey).toBe('k1');
        expect(m?.createdAt).toBeInstanceOf(Date);
        expect(m?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 2_000);
        expect(m?.runAt.getTime()).toBeLessThanOrEqual(Date.now());
        expect(rec.deliveries.find((d) => d.id === ids[1])?.message.partitionKey).toBeUndefined();
      });

      it('acknowledged messages are never delivered again', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 20 }, (_, i) => ({ type: 't', payload: i })),
        );
        const first = recorder();
        const c1 = mq.consume(queue, first.handler, { concurrency: 4, visibilityTimeoutMs: 300 });
        await waitFor(() => first.deliveries.length >= 20, t(10_000), '20 deliveries');
        await c1.stop();
        const second = recorder();
        const c2 = mq.consume(queue, second.handler, { visibilityTimeoutMs: 300 });
        await sleep(t(900));
        await c2.stop();
        expect(first.deliveries).toHaveLength(20);
        expect(second.deliveries).toHaveLength(0);
      });

      it('hands the handler batches of at most batchSize', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 55 }, (_, i) => ({ type: 't', payload: i })),
        );
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { batchSize: 10 });
        await waitFor(() => rec.deliveries.length >= 55, t(10_000), '55 deliveries');
        await consumer.stop();
        expect(Math.max(...rec.batches)).toBeLessThanOrEqual(10);
        expect(rec.batches.some((size) => size > 1)).toBe(true);
        expect(rec.distinct().size).toBe(55);
      });

      it('never runs more than `concurrency` handler calls at once', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 60 }, (_, i) => ({ type: 't', payload: i })),
        );
        let active = 0;
        let peak = 0;
        let done = 0;
        const consumer = mq.consume(
          queue,
          async () => {
            active++;
            peak = Math.max(peak, active);
            await sleep(15);
            active--;
            done++;
          },
          { concurrency: 5 },
        );
        await waitFor(() => done >= 60, t(15_000), '60 handled');
        await consumer.stop();
        expect(peak).toBeLessThanOrEqual(5);
        expect(peak).toBeGreaterThan(1);
      });

      it('prefetch delivers each message once, and stop gives prefetched messages back without an attempt', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 30 }, (_, i) => ({ type: 't', payload: i })),
        );
        const first = recorder(() => sleep(30));
        const c1 = mq.consume(queue, first.handler, {
          concurrency: 1,
          prefetch: 10,
          visibilityTimeoutMs: 5_000,
        });
        await waitFor(() => first.deliveries.length >= 3, t(10_000), '3 deliveries');
        await c1.stop({ timeoutMs: 5_000 });
        const handledFirst = first.deliveries.length;
        expect(handledFirst).toBeLessThan(30);
        const second = recorder();
        const c2 = mq.consume(queue, second.handler, {
          concurrency: 4,
          prefetch: 8,
          visibilityTimeoutMs: 5_000,
        });
        await waitFor(() => handledFirst + second.deliveries.length >= 30, t(10_000), 'the rest');
        await sleep(t(200));
        await c2.stop();
        const all = [...first.deliveries, ...second.deliveries];
        expect(new Set(all.map((d) => d.payload)).size).toBe(30);
        expect(all).toHaveLength(30);
        expect(second.deliveries.every((d) => d.attempt === 1)).toBe(true);
      });

      it('several consumers on one queue deliver each of 10,000 messages exactly once', async () => {
        const a = await make();
        const b = await make();
        const queue = uniqueQueue();
        const total = 10_000;
        for (let i = 0; i < total; i += 1_000) {
          await a.publish(
            queue,
            Array.from({ length: 1_000 }, (_, j) => ({ type: 't', payload: i + j })),
          );
        }
        const seen = new Map<number, number>();
        const handler = async (messages: { payload: unknown }[]) => {
          for (const m of messages)
            seen.set(m.payload as number, (seen.get(m.payload as number) ?? 0) + 1);
        };
        const consumers = [
          a.consume(queue, handler, { concurrency: 10, batchSize: 20 }),
          a.consume(queue, handler, { concurrency: 10, batchSize: 20 }),
          b.consume(queue, handler, { concurrency: 10, batchSize: 20 }),
          b.consume(queue, handler, { concurrency: 10, batchSize: 20 }),
        ];
        await waitFor(() => seen.size >= total, t(60_000), `${total} distinct messages`);
        await sleep(t(200));
        await Promise.all(consumers.map((c) => c.stop()));
        expect(seen.size).toBe(total);
        expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
      }, 120_000);
    });

    describe('retries and dead letters', () => {
      it('retries a failing message with back-off, then succeeds', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 'flaky' });
        const rec = recorder(async (messages) => {
          if ((messages[0]?.attempt ?? 0) < 3) throw new Error('transient');
        });
        const consumer = mq.consume(queue, rec.handler, {
          retry: {
            maxAttempts: 5,
            backoff: { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0 },
          },
        });
        await waitFor(() => rec.deliveries.length >= 3, t(10_000), '3 attempts');
        await sleep(t(300));
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3]);
        const [d1, d2, d3] = rec.deliveries;
        expect((d2?.at ?? 0) - (d1?.at ?? 0)).toBeGreaterThanOrEqual(90);
        expect((d3?.at ?? 0) - (d2?.at ?? 0)).toBeGreaterThanOrEqual(190);
        expect(await mq.deadLetters.count(queue)).toBe(0);
      });

      it('a retried message holds back the messages behind it only where capabilities.retryInPlace', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const inPlace = mq.capabilities.retryInPlace === true;
        // In place (a stream): one key, so both records share a shard and B must wait for A.
        // Rescheduled (a queue): no key, so B must flow past A's back-off.
        const key = inPlace ? { partitionKey: 'one-key' } : {};
        await mq.publish(queue, [
          { type: 't', payload: 'A', ...key },
          { type: 't', payload: 'B', ...key },
        ]);
        const order: string[] = [];
        const rec = recorder(async (messages) => {
          const m = messages[0];
          order.push(`${m?.payload}${m?.attempt}`);
          if (m?.payload === 'A' && m.attempt === 1) throw new Error('once');
        });
        const consumer = mq.consume(queue, rec.handler, {
          retry: { maxAttempts: 3, backoff: { initialMs: t(400), jitter: 0 } },
        });
        await waitFor(() => order.length >= 3, t(10_000), 'three deliveries');
        await consumer.stop();
        expect(order).toEqual(inPlace ? ['A1', 'A2', 'B1'] : ['A1', 'B1', 'A2']);
      });

      it('dead-letters after maxAttempts with the last error and the attempt count', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(queue, { type: 'doomed', payload: { n: 1 } });
        const rec = recorder(async (messages) => {
          throw new Error(`failure on attempt ${messages[0]?.attempt}`);
        });
        const consumer = mq.consume(queue, rec.handler, { retry: FAST_RETRY });
        await untilDeadLetters(mq, queue, 1);
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3]);
        const [dl] = await mq.deadLetters.list(queue);
        expect(dl?.message.id).toBe(ids[0]);
        expect(dl?.message.type).toBe('doomed');
        expect(dl?.message.payload).toEqual({ n: 1 });
        expect(dl?.attempts).toBe(3);
        expect(dl?.error.message).toBe('failure on attempt 3');
        expect(dl?.deadLetteredAt).toBeInstanceOf(Date);
      });

      it("a message's own maxAttempts overrides the consumer's", async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 1, maxAttempts: 1 });
        const rec = recorder(async () => {
          throw new Error('nope');
        });
        const consumer = mq.consume(queue, rec.handler, { retry: FAST_RETRY });
        await untilDeadLetters(mq, queue, 1);
        await sleep(t(200));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(1);
        expect(rec.deliveries[0]?.message.maxAttempts).toBe(1);
      });

      it('NonRetryableError skips remaining attempts and dead-letters at once', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 'bad' });
        const rec = recorder(async () => {
          throw new NonRetryableError('malformed order');
        });
        const consumer = mq.consume(queue, rec.handler, { retry: FAST_RETRY });
        await untilDeadLetters(mq, queue, 1);
        await sleep(t(200));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(1);
        const [dl] = await mq.deadLetters.list(queue);
        expect(dl?.attempts).toBe(1);
        expect(dl?.error.code).toBe(ErrorCode.NON_RETRYABLE);
        expect(dl?.error.message).toBe('malformed order');
      });

      it('partial batch failure retries only the failed messages', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(
          queue,
          Array.from({ length: 6 }, (_, i) => ({ type: 't', payload: i })),
        );
        const failing = new Set([ids[1], ids[4]]);
        const rec = recorder(async (messages) => ({
          failed: messages
            .filter((m) => m.attempt === 1 && failing.has(m.id))
            .map((m) => ({ id: m.id, error: new Error('partial') })),
        }));
        const consumer = mq.consume(queue, rec.handler, { batchSize: 6, retry: FAST_RETRY });
        await waitFor(() => rec.deliveries.length >= 8, t(10_000), '8 deliveries');
        await sleep(t(300));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(8);
        for (const id of ids) expect(rec.countOf(id)).toBe(failing.has(id) ? 2 : 1);
        expect(
          rec.deliveries
            .filter((d) => d.attempt === 2)
            .map((d) => d.id)
            .sort(),
        ).toEqual([...failing].sort());
      });

      it('a NonRetryableError in a partial failure dead-letters only that message', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(queue, [
          { type: 't', payload: 'ok' },
          { type: 't', payload: 'poison' },
        ]);
        const rec = recorder(async (messages) => ({
          failed: messages
            .filter((m) => m.payload === 'poison')
            .map((m) => ({ id: m.id, error: new NonRetryableError('poison') })),
        }));
        const consumer = mq.consume(queue, rec.handler, { batchSize: 2, retry: FAST_RETRY });
        await untilDeadLetters(mq, queue, 1);
        await sleep(t(200));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(2);
        expect((await mq.deadLetters.list(queue)).map((d) => d.message.id)).toEqual([ids[1]]);
      });

      it('throwing fails every message of the batch', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 4 }, (_, i) => ({ type: 't', payload: i })),
        );
        const rec = recorder(async (messages) => {
          if (messages.some((m) => m.attempt === 1)) throw new Error('whole batch');
        });
        const consumer = mq.consume(queue, rec.handler, { batchSize: 4, retry: FAST_RETRY });
        await waitFor(
          () => rec.deliveries.filter((d) => d.attempt === 2).length >= 4,
          t(10_000),
          'second attempts',
        );
        await consumer.stop();
        expect(rec.distinct().size).toBe(4);
        expect(rec.deliveries.filter((d) => d.attempt === 2)).toHaveLength(4);
      });
    });

    describe('leases, timeouts and shutdown', () => {
      it('redelivers a message whose consumer died without acknowledging it, after the lease expires', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(queue, { type: 't', payload: 'orphan' });
        let firstSeen = 0;
        // The first consumer "dies": its handler never settles and ignores its signal.
        const dying = mq.consume(
          queue,
          () => {
            firstSeen++;
            return new Promise<void>(() => {});
          },
          { visibilityTimeoutMs: 500, heartbeatIntervalMs: 100 },
        );
        await waitFor(() => firstSeen === 1, t(5_000), 'first delivery');
        const stopStarted = Date.now();
        await dying.stop({ timeoutMs: 0 });
        expect(Date.now() - stopStarted).toBeLessThan(5_000);
        const rec = recorder();
        const survivor = mq.consume(queue, rec.handler, {
          visibilityTimeoutMs: 500,
          heartbeatIntervalMs: 100,
        });
        await waitFor(() => rec.deliveries.length >= 1, t(10_000), 'redelivery');
        await survivor.stop();
        expect(rec.deliveries[0]?.id).toBe(ids[0]);
        expect(rec.deliveries[0]?.attempt).toBe(2);
      });

      it('does not redeliver a slow handler while its lease is extended', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 'slow' });
        const rec = recorder(() => sleep(t(1_500)));
        const options = { visibilityTimeoutMs: 400, heartbeatIntervalMs: 100 };
        const c1 = mq.consume(queue, rec.handler, options);
        const c2 = mq.consume(queue, rec.handler, options);
        await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'first delivery');
        await sleep(t(2_000));
        await Promise.all([c1.stop(), c2.stop()]);
        expect(rec.deliveries).toHaveLength(1);
      });

      it('aborts a handler that exceeds handlerTimeoutMs through ctx.signal and counts it as a failure', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 'stuck' });
        const reasons: unknown[] = [];
        const rec = recorder(async (messages, ctx) => {
          if ((messages[0]?.attempt ?? 0) > 1) return;
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          reasons.push(ctx.signal.reason);
          throw ctx.signal.reason;
        });
        const consumer = mq.consume(queue, rec.handler, {
          handlerTimeoutMs: 150,
          retry: FAST_RETRY,
        });
        await waitFor(() => rec.deliveries.length >= 2, t(10_000), 'retry after timeout');
        await consumer.stop();
        expect(reasons[0]).toBeInstanceOf(HandlerTimeoutError);
        expect(rec.deliveries.map((d) => d.attempt)).toEqual([1, 2]);
        expect((rec.deliveries[1]?.at ?? 0) - (rec.deliveries[0]?.at ?? 0)).toBeGreaterThanOrEqual(
          140,
        );
      });

      it('graceful stop waits for in-flight handlers and acknowledges their messages', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 3 }, (_, i) => ({ type: 't', payload: i })),
        );
        let finished = 0;
        const rec = recorder(async () => {
          await sleep(300);
          finished++;
        });
        const consumer = mq.consume(queue, rec.handler, {
          concurrency: 3,
          visibilityTimeoutMs: 1_000,
        });
        await waitFor(() => rec.deliveries.length >= 3, t(5_000), '3 deliveries');
        await consumer.stop({ timeoutMs: 10_000 });
        expect(finished).toBe(3);
        expect(consumer.running).toBe(false);
        const after = recorder();
        const again = mq.consume(queue, after.handler, { visibilityTimeoutMs: 1_000 });
        await sleep(t(1_500));
        await again.stop();
        expect(after.deliveries).toHaveLength(0);
      });

      it('stop timeout aborts what is left, and the aborted message is redelivered without burning an attempt', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(queue, { type: 't', payload: 'long' });
        const reasons: unknown[] = [];
        const rec = recorder(async (messages, ctx) => {
          if ((messages[0]?.attempt ?? 0) > 1 || reasons.length > 0) return;
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          reasons.push(ctx.signal.reason);
          throw ctx.signal.reason;
        });
        const consumer = mq.consume(queue, rec.handler, { visibilityTimeoutMs: 5_000 });
        await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'first delivery');
        const started = Date.now();
        await consumer.stop({ timeoutMs: 100 });
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(reasons[0]).toBeInstanceOf(ShutdownError);
        const next = mq.consume(queue, rec.handler, { visibilityTimeoutMs: 5_000 });
        await waitFor(() => rec.deliveries.length >= 2, t(5_000), 'redelivery after release');
        await next.stop();
        expect(rec.deliveries[1]?.id).toBe(ids[0]);
        expect(rec.deliveries[1]?.attempt).toBe(1);
      });

      it('the stopped promise settles once the consumer has fully stopped', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const consumer = mq.consume(queue, async () => {});
        let settled = false;
        void consumer.stopped.then(() => {
          settled = true;
        });
        await sleep(50);
        expect(settled).toBe(false);
        expect(consumer.running).toBe(true);
        await consumer.stop();
        await sleep(0);
        expect(settled).toBe(true);
      });

      it('close() stops every consumer and then refuses publish and consume', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const c1 = mq.consume(queue, async () => {});
        const c2 = mq.consume(uniqueQueue(), async () => {});
        await mq.close();
        await Promise.all([c1.stopped, c2.stopped]);
        expect(c1.running).toBe(false);
        await expect(mq.publish(queue, { type: 't', payload: 1 })).rejects.toBeInstanceOf(
          QueueClosedError,
        );
        expect(() => mq.consume(queue, async () => {})).toThrow(QueueClosedError);
      });

      it('close() leaves user-supplied clients open', async () => {
        const mq = await make();
        await mq.close();
        if (target.userClientOpen) expect(await target.userClientOpen()).toBe(true);
        // The backing store is still usable by another queue instance after close().
        const other = await make();
        const queue = uniqueQueue();
        await other.publish(queue, { type: 't', payload: 'still works' });
        const rec = recorder();
        const c = other.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'delivery after another close');
        await c.stop();
      });
    });

    describe('scheduling features', () => {
      it('does not deliver a delayMs message before its delay', async (ctx) => {
        const mq = await make();
        if (!mq.capabilities.delay) return ctx.skip();
        const queue = uniqueQueue();
        const publishedAt = Date.now();
        await mq.publish(queue, [
          { type: 't', payload: 'later', delayMs: 600 },
          { type: 't', payload: 'now' },
        ]);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { pollIntervalMs: 50 });
        await waitFor(() => rec.deliveries.length >= 2, t(10_000), 'both deliveries');
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.payload)).toEqual(['now', 'later']);
        expect((rec.deliveries[1]?.at ?? 0) - publishedAt).toBeGreaterThanOrEqual(590);
      });

      it('does not deliver a runAt message before its time', async (ctx) => {
        const mq = await make();
        if (!mq.capabilities.delay) return ctx.skip();
        const queue = uniqueQueue();
        const runAt = new Date(Date.now() + 500);
        await mq.publish(queue, { type: 't', payload: 'scheduled', runAt });
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { pollIntervalMs: 50 });
        await waitFor(() => rec.deliveries.length >= 1, t(10_000), 'delivery');
        await consumer.stop();
        expect(rec.deliveries[0]?.at).toBeGreaterThanOrEqual(runAt.getTime() - 10);
      });

      it('delivers higher priority first', async (ctx) => {
        const mq = await make();
        if (!mq.capabilities.priority) return ctx.skip();
        const queue = uniqueQueue();
        await mq.publish(queue, [
          { type: 't', payload: 'low', priority: -5 },
          { type: 't', payload: 'normal' },
          { type: 't', payload: 'urgent', priority: 10 },
          { type: 't', payload: 'high', priority: 5 },
        ]);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { concurrency: 1, batchSize: 1 });
        await waitFor(() => rec.deliveries.length >= 4, t(10_000), '4 deliveries');
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.payload)).toEqual(['urgent', 'high', 'normal', 'low']);
      });

      it('delivers messages of equal priority in publish order, even published in one millisecond', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        // One batch (one insert, one timestamp), then single publishes in quick succession.
        await mq.publish(
          queue,
          Array.from({ length: 40 }, (_, i) => ({ type: 't', payload: i })),
        );
        for (let i = 40; i < 60; i++) await mq.publish(queue, { type: 't', payload: i });
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { concurrency: 1, batchSize: 1 });
        await waitFor(() => rec.deliveries.length >= 60, t(15_000), '60 deliveries');
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.payload)).toEqual(
          Array.from({ length: 60 }, (_, i) => i),
        );
      });

      it('keeps publish order per partitionKey under concurrency and retries', async (ctx) => {
        const mq = await make();
        if (!mq.capabilities.ordering) return ctx.skip();
        const queue = uniqueQueue();
        const keys = ['a', 'b', 'c', 'd'];
        const inputs = Array.from({ length: 80 }, (_, i) => ({
          type: 't',
          payload: { key: keys[i % 4], seq: Math.floor(i / 4) },
          partitionKey: keys[i % 4] as string,
        }));
        await mq.publish(queue, inputs);
        const handled: { key: string; seq: number }[] = [];
        const consumer = mq.consume(
          queue,
          async (messages) => {
            const p = messages[0]?.payload as { key: string; seq: number };
            await sleep(Math.random() * 5);
            if (p.seq % 7 === 3 && messages[0]?.attempt === 1) throw new Error('retry me');
            handled.push(p);
          },
          { concurrency: 10, retry: FAST_RETRY },
        );
        await waitFor(() => handled.length >= 80, t(20_000), '80 handled');
        await consumer.stop();
        for (const key of keys) {
          const seqs = handled.filter((h) => h.key === key).map((h) => h.seq);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
          expect(seqs).toHaveLength(20);
        }
      });

      it('publishing an id that is still queued is a no-op returning that id', async (ctx) => {
        const mq = await make();
        if (!mq.capabilities.deduplication) return ctx.skip();
        const queue = uniqueQueue();
        const first = await mq.publish(queue, { id: 'dup-1', type: 't', payload: 'first' });
        const second = await mq.publish(queue, [
          { id: 'dup-1', type: 't', payload: 'second' },
          { id: 'dup-2', type: 't', payload: 'other' },
        ]);
        expect(first.ids).toEqual(['dup-1']);
        expect(second.ids).toEqual(['dup-1', 'dup-2']);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 2, t(5_000), '2 deliveries');
        await sleep(t(300));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(2);
        expect(rec.deliveries.find((d) => d.id === 'dup-1')?.payload).toBe('first');
      });

      it('throws UnsupportedFeatureError for every capability the provider lacks', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const caps = mq.capabilities;
        if (!caps.delay)
          await expect(
            mq.publish(queue, { type: 't', payload: 1, delayMs: 10 }),
          ).rejects.toBeInstanceOf(UnsupportedFeatureError);
        if (!caps.priority)
          await expect(
            mq.publish(queue, { type: 't', payload: 1, priority: 3 }),
          ).rejects.toBeInstanceOf(UnsupportedFeatureError);
        // A capability flag must be a boolean (no silent "maybe").
        for (const key of ['delay', 'priority', 'ordering', 'deduplication'] as const)
          expect(typeof caps[key]).toBe('boolean');
      });
    });

    describe('dead-letter store', () => {
      async function withDeadLetters(count: number) {
        const mq = await make();
        const queue = uniqueQueue();
        const { ids } = await mq.publish(
          queue,
          Array.from({ length: count }, (_, i) => ({
            type: i % 2 ? 'odd' : 'even',
            payload: { i },
          })),
        );
        const consumer = mq.consume(
          queue,
          async (messages) => {
            for (const m of messages)
              if (m.attempt === 1)
                throw new NonRetryableError(`bad ${String((m.payload as { i: number }).i)}`);
          },
          { retry: FAST_RETRY },
        );
        await untilDeadLetters(mq, queue, count);
        await consumer.stop();
        return { mq, queue, ids };
      }

      it('lists dead letters with message, error and attempts, with limit and offset', async () => {
        const { mq, queue, ids } = await withDeadLetters(5);
        const all = await mq.deadLetters.list(queue);
        expect(all.map((d) => d.message.id).sort()).toEqual([...ids].sort());
        expect(all.every((d) => d.attempts === 1 && d.error.message.startsWith('bad '))).toBe(true);
        const page = await mq.deadLetters.list(queue, { limit: 2, offset: 1 });
        expect(page).toHaveLength(2);
        expect(page.map((d) => d.message.id)).toEqual(all.slice(1, 3).map((d) => d.message.id));
        expect(
          (await mq.deadLetters.list(queue, { type: 'odd' })).every(
            (d) => d.message.type === 'odd',
          ),
        ).toBe(true);
      });

      it('inspects one dead letter by id', async () => {
        const { mq, queue, ids } = await withDeadLetters(2);
        const dl = await mq.deadLetters.inspect(queue, ids[1] as string);
        expect(dl?.message.payload).toEqual({ i: 1 });
        expect(dl?.error.message).toBe('bad 1');
        expect(await mq.deadLetters.inspect(queue, 'no-such-id')).toBeUndefined();
      });

      it('replays all dead letters onto the live queue with attempts reset', async () => {
        const { mq, queue, ids } = await withDeadLetters(3);
        expect(await mq.deadLetters.replay(queue)).toBe(3);
        expect(await mq.deadLetters.count(queue)).toBe(0);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 3, t(5_000), '3 replayed deliveries');
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.id).sort()).toEqual([...ids].sort());
        expect(rec.deliveries.every((d) => d.attempt === 1)).toBe(true);
      });

      it('replays only the dead letters a filter selects', async () => {
        const { mq, queue, ids } = await withDeadLetters(4);
        expect(await mq.deadLetters.replay(queue, { type: 'odd' })).toBe(2);
        expect(await mq.deadLetters.replay(queue, { ids: [ids[0] as string] })).toBe(1);
        expect(
          await mq.deadLetters.replay(queue, {
            where: (d) => (d.message.payload as { i: number }).i === 99,
          }),
        ).toBe(0);
        expect((await mq.deadLetters.list(queue)).map((d) => d.message.id)).toEqual([ids[2]]);
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 3, t(5_000), '3 replayed deliveries');
        await sleep(t(200));
        await consumer.stop();
        expect(rec.deliveries.map((d) => d.id).sort()).toEqual([ids[0], ids[1], ids[3]].sort());
      });

      it('purges filtered dead letters, then all', async () => {
        const { mq, queue, ids } = await withDeadLetters(4);
        expect(await mq.deadLetters.purge(queue, { ids: [ids[0] as string] })).toBe(1);
        expect(await mq.deadLetters.count(queue)).toBe(3);
        expect(await mq.deadLetters.purge(queue)).toBe(3);
        expect(await mq.deadLetters.count(queue)).toBe(0);
        expect(await mq.deadLetters.list(queue)).toEqual([]);
      });
    });

    describe('bad input is rejected before any I/O and loses nothing', () => {
      async function expectNothingPublished(mq: MessageQueue, queue: string): Promise<void> {
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { pollIntervalMs: 20 });
        await sleep(t(300));
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(0);
      }

      it('a circular payload fails with SerializationError naming the path, and nothing of the batch is published', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const order: Record<string, unknown> = { id: 1, lines: [{ sku: 'a' }] };
        (order.lines as Record<string, unknown>[])[0] = { sku: 'a', order };
        const error = await mq
          .publish(queue, [
            { type: 't', payload: 'fine' },
            { type: 't', payload: order },
          ])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).code).toBe(ErrorCode.SERIALIZATION);
        expect((error as SerializationError).path).toBe('payload.lines[0].order');
        expect((error as SerializationError).index).toBe(1);
        expect((error as Error).message).toContain('circular');
        await expectNothingPublished(mq, queue);
      });

      it('a BigInt fails with SerializationError naming the path', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const error = await mq
          .publish(queue, { type: 't', payload: { amount: 10n } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).path).toBe('payload.amount');
        expect((error as Error).message).toContain('BigInt');
        await expectNothingPublished(mq, queue);
      });

      it('functions and symbols fail instead of being dropped silently', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const fn = await mq
          .publish(queue, { type: 't', payload: { cb: () => 1 } })
          .catch((e: unknown) => e);
        expect(fn).toBeInstanceOf(SerializationError);
        expect((fn as SerializationError).path).toBe('payload.cb');
        const sym = await mq
          .publish(queue, { type: 't', payload: [1, Symbol('x')] })
          .catch((e: unknown) => e);
        expect(sym).toBeInstanceOf(SerializationError);
        expect((sym as SerializationError).path).toBe('payload[1]');
        await expectNothingPublished(mq, queue);
      });

      it('a missing or empty type fails with ValidationError', async () => {
        const mq = await make();
        const queue = uniqueQueue();
        const missing = await mq
          .publish(queue, [{ type: 't', payload: 1 }, { payload: 2 } as never])
          .catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(ValidationError);
        expect((missing as Error).message).toMatch(
          /message\[1\]: "type" must be a non-empty string/,
        );
        await expect(mq.publish(queue, { type: '', payload: 1 })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expectNothingPublished(mq, queue);
      });

      it('empty and invalid queue names fail with ValidationError', async () => {
        const mq = await make();
        for (const bad of ['', 'has space', 'semi;colon', "quote'", 'x'.repeat(129), 'a/b']) {
          const error = await mq.publish(bad, { type: 't', payload: 1 }).catch((e: unknown) => e);
          expect(error, bad).toBeInstanceOf(ValidationError);
          expect((error as Error).message).toContain('invalid queue name');
          expect(() => mq.consume(bad, async () => {})).toThrow(ValidationError);
        }
      });

      it('an oversize message fails with MessageTooLargeError and nothing of the batch is published', async () => {
        const mq = await make({ maxMessageBytes: 1_024 });
        const queue = uniqueQueue();
        const error = await mq
          .publish(queue, [
            { type: 't', payload: 'small' },
            { type: 't', payload: 'é'.repeat(600) },
          ])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MessageTooLargeError);
        expect((error as MessageTooLargeError).limit).toBe(1_024);
        expect((error as MessageTooLargeError).size).toBeGreaterThan(1_024);
        expect((error as MessageTooLargeError).index).toBe(1);
        await expectNothingPublished(mq, queue);
      });

      it.each([
        ['batchSize', 0],
        ['batchSize', -1],
        ['batchSize', Number.NaN],
        ['batchSize', 1e9],
        ['batchSize', 2.5],
        ['concurrency', 0],
        ['concurrency', -3],
        ['concurrency', Number.NaN],
        ['concurrency', 1e12],
        ['visibilityTimeoutMs', 5],
        ['handlerTimeoutMs', 0],
        ['pollIntervalMs', Number.POSITIVE_INFINITY],
      ])(
        'consume option %s = %s fails with ConfigurationError naming the field and range',
        async (field, value) => {
          const mq = await make();
          let error: unknown;
          try {
            mq.consume(uniqueQueue(), async () => {}, { [field]: value });
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(ConfigurationError);
          expect((error as ConfigurationError).field).toBe(field);
          expect((error as Error).message).toMatch(
            new RegExp(`option "${field}" must be an integer from \\d+ to \\d+`),
          );
        },
      );

      it('a lease shorter than the heartbeat interval fails with ConfigurationError', async () => {
        const mq = await make();
        const error = (() => {
          try {
            mq.consume(uniqueQueue(), async () => {}, {
              visibilityTimeoutMs: 1_000,
              heartbeatIntervalMs: 1_000,
            });
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as ConfigurationError).field).toBe('heartbeatIntervalMs');
        expect((error as Error).message).toContain('must be shorter than "visibilityTimeoutMs"');
      });

      it('an unknown option key (a typo) fails with ConfigurationError suggesting the right name', async () => {
        const mq = await make();
        expect(() => mq.consume(uniqueQueue(), async () => {}, { bachSize: 10 } as never)).toThrow(
          /option "bachSize" is not a known option; did you mean "batchSize"\?/,
        );
        expect(() =>
          mq.consume(uniqueQueue(), async () => {}, { retry: { maxAttempt: 3 } } as never),
        ).toThrow(/"retry.maxAttempt".*did you mean "retry.maxAttempts"/);
        const publishTypo = await mq
          .publish(uniqueQueue(), { type: 't', payload: 1, delay: 5 } as never)
          .catch((e: unknown) => e);
        expect(publishTypo).toBeInstanceOf(ValidationError);
        expect((publishTypo as Error).message).toContain('unknown field "delay"');
        await expect(
          Promise.resolve().then(() => target.create({ namspace: 'x' } as never)),
        ).rejects.toThrow(/option "namspace".*did you mean "namespace"/);
      });
    });

    describe('lifecycle', () => {
      function collector() {
        const events: LifecycleEvent[] = [];
        const provider: LifecycleProvider = {
          name: 'collector',
          onEvent: (e) => void events.push(e),
        };
        return { events, provider };
      }

      it('emits events in order: published, consumer started, delivered, failed, retried, succeeded, dead-lettered, consumer stopped', async () => {
        const { events, provider } = collector();
        const mq = await make({ lifecycle: provider });
        const queue = uniqueQueue();
        const { ids } = await mq.publish(queue, [
          { type: 'flaky', payload: 1 },
          { type: 'poison', payload: 2 },
        ]);
        const consumer = mq.consume(
          queue,
          async (messages) => {
            const m = messages[0];
            if (m?.type === 'poison') throw new NonRetryableError('poison');
            if (m?.attempt === 1) throw new Error('again');
          },
          { retry: FAST_RETRY },
        );
        await waitFor(() => events.some((e) => e.type === 'succeeded'), t(10_000), 'succeeded');
        await waitFor(
          () => events.some((e) => e.type === 'deadLettered'),
          t(10_000),
          'deadLettered',
        );
        await consumer.stop();
        const forFlaky = events
          .filter(
            (e) =>
              ('message' in e && e.message.id === ids[0]) ||
              ('messages' in e && [...e.messages].some((m) => m.id === ids[0])),
          )
          .map((e) => e.type);
        expect(forFlaky).toEqual([
          'published',
          'delivered',
          'failed',
          'retried',
          'delivered',
          'succeeded',
        ]);
        const forPoison = events
          .filter(
            (e) =>
              ('message' in e && e.message.id === ids[1]) ||
              ('messages' in e && [...e.messages].some((m) => m.id === ids[1])),
          )
          .map((e) => e.type);
        expect(forPoison).toEqual(['published', 'delivered', 'failed', 'deadLettered']);
        const types = events.map((e) => e.type);
        expect(types.indexOf('consumerStarted')).toBeLessThan(types.indexOf('delivered'));
        expect(types.at(-1)).toBe('consumerStopped');
        const failed = events.find((e) => e.type === 'failed' && e.message.id === ids[0]);
        expect(failed && 'willRetry' in failed && failed.willRetry).toBe(true);
        expect(events.every((e) => e.queue === queue && e.provider === mq.provider)).toBe(true);
      });

      it('a throwing lifecycle provider breaks nothing and is reported through onLifecycleError', async () => {
        const reported: string[] = [];
        const good = collector();
        const mq = await make({
          lifecycle: [
            {
              name: 'broken',
              onEvent: () => {
                throw new Error('metrics down');
              },
            },
            good.provider,
          ],
          onLifecycleError: (error, event, provider) =>
            reported.push(`${provider.name}:${event.type}:${(error as Error).message}`),
        });
        const queue = uniqueQueue();
        await mq.publish(
          queue,
          Array.from({ length: 5 }, (_, i) => ({ type: 't', payload: i })),
        );
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 5, t(5_000), '5 deliveries');
        await consumer.stop();
        expect(rec.deliveries).toHaveLength(5);
        expect(reported).toContain('broken:published:metrics down');
        expect(reported.some((r) => r.startsWith('broken:succeeded'))).toBe(true);
        expect(good.events.filter((e) => e.type === 'succeeded')).toHaveLength(5);
      });

      it('a hanging or rejecting lifecycle provider does not delay processing', async () => {
        const reported: string[] = [];
        const mq = await make({
          lifecycle: [
            { name: 'hangs', onEvent: () => new Promise<void>(() => {}) },
            {
              name: 'rejects',
              onEvent: async () => {
                throw new Error('async failure');
              },
            },
          ],
          onLifecycleError: (_error, _event, provider) => reported.push(provider.name),
        });
        const queue = uniqueQueue();
        const started = Date.now();
        await mq.publish(
          queue,
          Array.from({ length: 20 }, (_, i) => ({ type: 't', payload: i })),
        );
        const rec = recorder();
        const consumer = mq.consume(queue, rec.handler, { concurrency: 4 });
        await waitFor(() => rec.deliveries.length >= 20, t(5_000), '20 deliveries');
        await consumer.stop();
        expect(Date.now() - started).toBeLessThan(t(5_000));
        await waitFor(() => reported.includes('rejects'), 1_000, 'rejection reported');
        expect(reported).not.toContain('hangs');
      });
    });

    describe('logging, namespaces', () => {
      it('logs no payload and no password at any level by default', async () => {
        const lines: string[] = [];
        const sink = new Writable({
          write(chunk, _enc, cb) {
            lines.push(String(chunk));
            cb();
          },
        });
        const logger = pino({ level: 'trace' }, sink);
        const mq = await make({ logger });
        const queue = uniqueQueue();
        const secret = 'PAYLOAD-SECRET-4711';
        await mq.publish(queue, [
          { type: 't', payload: { card: secret } },
          { type: 't', payload: { card: secret, fail: true } },
        ]);
        const consumer = mq.consume(
          queue,
          async (messages) => {
            if ((messages[0]?.payload as { fail?: boolean } | undefined)?.fail)
              throw new Error('connect ECONNREFUSED postgres://app:hunter2@db.internal:5432/app');
          },
          { retry: { maxAttempts: 2, backoff: { initialMs: 10, jitter: 0 } } },
        );
        await untilDeadLetters(mq, queue, 1);
        await consumer.stop();
        const all = lines.join('\n');
        expect(lines.length).toBeGreaterThan(0);
        expect(all).not.toContain(secret);
        expect(all).not.toContain('hunter2');
        expect(all).toContain('postgres://app:***@db.internal');
      });

      it('namespaces isolate queues of the same name', async () => {
        const blue = await make({ namespace: 'blue' });
        const green = await make({ namespace: 'green' });
        const queue = uniqueQueue();
        await blue.publish(queue, { type: 't', payload: 'for blue' });
        await green.publish(queue, { type: 't', payload: 'for green' });
        const b = recorder();
        const g = recorder();
        const cb = blue.consume(queue, b.handler);
        const cg = green.consume(queue, g.handler);
        await waitFor(
          () => b.deliveries.length >= 1 && g.deliveries.length >= 1,
          t(5_000),
          'both deliveries',
        );
        await sleep(t(200));
        await Promise.all([cb.stop(), cg.stop()]);
        expect(b.deliveries.map((d) => d.payload)).toEqual(['for blue']);
        expect(g.deliveries.map((d) => d.payload)).toEqual(['for green']);
        expect(b.deliveries[0]?.message.queue).toBe(queue);
      });
    });

    defineObservabilityCases(target, make, t);
    defineOperatorViewCases(make, t, target.unmeasuredStats);
  });
}

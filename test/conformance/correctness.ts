// Conformance cases for the correctness defects of issue 8: crash loops, unreadable payloads,
// strings a backend cannot store, dead-letter filter validation, close() validation, handler
// validation, handler-chosen retry delays, stop() draining, namespaces, exact batch sizes, rate
// limits and the common maxMessageBytes default. Each runs unchanged on every provider.
import {
  ConfigurationError,
  DEFAULT_MAX_MESSAGE_BYTES,
  type Handler,
  type LifecycleEvent,
  type MessageQueue,
  MessageTooLargeError,
  type QueueOptions,
  type Serializer,
  ValidationError,
} from '@mqkit/core';
import { describe, expect, type TestContext, it as vitestIt } from 'vitest';
import { recorder, sleep, uniqueQueue, waitFor } from './helpers.js';
import type { ConformanceTarget } from './target.js';

/** What the cases need from the suite. */
export interface CorrectnessContext {
  make(options?: QueueOptions): Promise<MessageQueue>;
  /** Scales a time allowance for slower backends. */
  t(ms: number): number;
  untilDeadLetters(mq: MessageQueue, queue: string, count: number): Promise<void>;
  readonly target: ConformanceTarget;
}

const collect = () => {
  const events: LifecycleEvent[] = [];
  return {
    events,
    provider: { name: 'collect', onEvent: (e: LifecycleEvent) => void events.push(e) },
  };
};

/** JSON, except that it cannot read a payload containing "POISON" (as if written by another version). */
const pickySerializer: Serializer = {
  name: 'picky-json',
  serialize: (payload) => JSON.stringify(payload),
  deserialize(data) {
    if (data.includes('POISON')) throw new Error('unsupported payload version');
    return JSON.parse(data);
  },
};

/** Registers the cases; call inside the provider's conformance `describe`. */
export function correctnessCases({ make, t, untilDeadLetters, target }: CorrectnessContext): void {
  /** `it`, unless the target lists the case as a known gap: then a loud skip. */
  const it = Object.assign(
    (title: string, fn: (ctx: TestContext) => Promise<void>) => {
      const gap = Object.entries(target.knownGaps ?? {}).find(([fragment]) =>
        title.includes(fragment),
      );
      if (gap === undefined) return vitestIt(title, fn);
      console.log(`SKIPPED: ${target.name} conformance — ${title} — known gap: ${gap[1]}`);
      return vitestIt.skip(title, fn);
    },
    { each: vitestIt.each.bind(vitestIt) },
  );
  describe('crash loops and unreadable payloads', () => {
    it('a message whose consumer dies on every delivery is dead-lettered after maxAttempts (and, on a lease-based queue, one solo run) with reason lease-expired, and the messages behind it are delivered', async () => {
      const { events, provider } = collect();
      const mq = await make({ lifecycle: provider });
      const queue = uniqueQueue();
      await mq.publish(queue, { id: 'crash', type: 'crash', payload: 0, maxAttempts: 2 });
      const attempts: number[] = [];
      // The handler never settles and ignores its signal: stop() abandons it, so its lease lapses
      // exactly as when the process is killed.
      const hang: Handler = (messages) => {
        for (const m of messages) attempts.push(m.attempt);
        return new Promise<void>(() => undefined);
      };
      const lease = { visibilityTimeoutMs: 300, heartbeatIntervalMs: 100 };
      const expected = mq.capabilities.retryInPlace ? 2 : 3;
      for (let round = 0; round < 5 && attempts.length < expected; round++) {
        const seen = attempts.length;
        const c = mq.consume(queue, hang, lease);
        const delivered = await waitFor(() => attempts.length > seen, t(3_000), 'a delivery').then(
          () => true,
          () => false,
        );
        await c.stop({ timeoutMs: 0 });
        if (!delivered) break;
        await sleep(t(400)); // past the lease
      }
      // Attempts 1 and 2, then (on a lease-based queue) a solo run, attempt 3: its lease lapses
      // there too. A stream retrying in place counts crashes at the shard's checkpoint, one
      // record position, so it needs no solo run.
      expect(attempts).toEqual(mq.capabilities.retryInPlace ? [1, 2] : [1, 2, 3]);
      await mq.publish(queue, { id: 'good', type: 'good', payload: 1 });
      const rec = recorder();
      const c = mq.consume(queue, rec.handler, lease);
      await untilDeadLetters(mq, queue, 1);
      await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'the good message');
      await c.stop();
      expect(rec.deliveries.map((d) => d.id)).toEqual(['good']);
      const dead = await mq.deadLetters.inspect(queue, 'crash');
      expect(dead?.error.code).toBe('MQKIT_LEASE_EXPIRED');
      const deadEvents = events.filter((e) => e.type === 'deadLettered');
      expect(deadEvents).toHaveLength(1);
      expect(deadEvents[0]).toMatchObject({ reason: 'lease-expired', message: { id: 'crash' } });
    });

    it('messages running beside a crash looper are not dead-lettered with it: each runs alone once, and only the looper is dead-lettered', async (ctx) => {
      const mq = await make({});
      // A stream runs one shard position at a time (retryInPlace): nothing runs beside it there.
      if (mq.capabilities.retryInPlace) return ctx.skip();
      const queue = uniqueQueue();
      const goods = ['g1', 'g2', 'g3', 'g4', 'g5'];
      await mq.publish(queue, [
        { id: 'crash', type: 'crash', payload: 0, maxAttempts: 2 },
        ...goods.map((id) => ({ id, type: 'good', payload: 1, maxAttempts: 2 })),
      ]);
      const seen: { id: string; attempt: number }[] = [];
      // Rounds 1 and 2 stand for a process that dies with all six in flight; later, only the
      // looper hangs (its handler never settles and ignores its signal, so its lease lapses).
      let everyoneDies = true;
      const handler: Handler = (messages) => {
        for (const m of messages) seen.push({ id: m.id, attempt: m.attempt });
        if (everyoneDies || messages.some((m) => m.id === 'crash'))
          return new Promise<void>(() => undefined);
        return Promise.resolve();
      };
      const options = {
        visibilityTimeoutMs: 300,
        heartbeatIntervalMs: 100,
        concurrency: 6,
        prefetch: 0,
      };
      const round = async (until: () => boolean, what: string): Promise<void> => {
        const c = mq.consume(queue, handler, options);
        await waitFor(until, t(5_000), what);
        await sleep(t(150)); // nothing else may start meanwhile
        await c.stop({ timeoutMs: 0 });
        await sleep(t(400)); // past the lease
      };
      const at = (attempt: number) => seen.filter((s) => s.attempt === attempt);
      await round(() => at(1).length >= 6, 'six deliveries on attempt 1');
      await round(() => at(2).length >= 6, 'six deliveries on attempt 2');
      everyoneDies = false;
      // Attempt 3 is past maxAttempts: one at a time runs alone, the others wait uncounted; the
      // looper's solo run hangs, and nothing starts beside it.
      let whenLooperStarted = -1;
      await round(() => {
        if (whenLooperStarted < 0 && seen.some((s) => s.id === 'crash' && s.attempt === 3))
          whenLooperStarted = seen.length;
        return whenLooperStarted >= 0;
      }, "the looper's solo run");
      expect(seen.length).toBe(whenLooperStarted);
      const c = mq.consume(queue, handler, options);
      await untilDeadLetters(mq, queue, 1);
      await waitFor(
        async () => {
          const stats = await mq.stats(queue);
          return stats.ready === 0 && stats.inFlight === 0;
        },
        t(10_000),
        'every good message handled',
      );
      await c.stop({ timeoutMs: 0 });
      // Each good message was delivered at attempts 1, 2 and 3 — never dead-lettered.
      for (const id of goods)
        expect(seen.filter((s) => s.id === id).map((s) => s.attempt)).toEqual([1, 2, 3]);
      expect(seen.filter((s) => s.id === 'crash').map((s) => s.attempt)).toEqual([1, 2, 3]);
      const dead = await mq.deadLetters.list(queue);
      expect(dead.map((d) => d.message.id)).toEqual(['crash']);
      expect(dead[0]?.error.code).toBe('MQKIT_LEASE_EXPIRED');
      expect(await mq.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, deadLettered: 1 });
    });

    it('a payload the serializer cannot read is dead-lettered as poison with one event, and the message behind it is delivered', async () => {
      const { events, provider } = collect();
      const mq = await make({ serializer: pickySerializer, lifecycle: provider });
      const queue = uniqueQueue();
      await mq.publish(queue, [
        { id: 'bad', type: 't', payload: 'POISON' },
        { id: 'good', type: 't', payload: 'fine' },
      ]);
      const rec = recorder();
      const consumer = mq.consume(queue, rec.handler);
      await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'the good message');
      await untilDeadLetters(mq, queue, 1);
      await sleep(t(100));
      await consumer.stop();
      expect(rec.deliveries.map((d) => d.id)).toEqual(['good']);
      const dead = await mq.deadLetters.inspect(queue, 'bad');
      expect(dead?.error).toMatchObject({
        name: 'SerializationError',
        code: 'MQKIT_SERIALIZATION',
      });
      expect(dead?.message.payload).toBe('"POISON"');
      const deadEvents = events.filter((e) => e.type === 'deadLettered');
      expect(deadEvents).toHaveLength(1);
      expect(deadEvents[0]).toMatchObject({ reason: 'poison', message: { id: 'bad' } });
      expect(
        events.some((e) => e.type === 'delivered' && [...e.messages].some((m) => m.id === 'bad')),
      ).toBe(false);
    });
  });

  describe('strings every backend can store', () => {
    const lone = '\uD800';
    it.each([
      ['U+0000 in id', { id: 'a\u0000b', type: 't', payload: 1 }],
      ['a lone surrogate in id', { id: `x${lone}`, type: 't', payload: 1 }],
      ['U+0000 in type', { type: 't\u0000', payload: 1 }],
      ['a lone low surrogate in type', { type: '\uDC00t', payload: 1 }],
      ['U+0000 in partitionKey', { type: 't', payload: 1, partitionKey: 'k\u0000' }],
      ['a lone surrogate in a header value', { type: 't', payload: 1, headers: { h: lone } }],
      ['U+0000 in a header name', { type: 't', payload: 1, headers: { 'h\u0000': 'v' } }],
    ])(
      '%s fails with ValidationError and nothing of the batch is published',
      async (_name, bad) => {
        const mq = await make();
        const queue = uniqueQueue();
        const error = await mq
          .publish(queue, [{ type: 't', payload: 'ok' }, bad])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).index).toBe(1);
        const rec = recorder();
        const c = mq.consume(queue, rec.handler);
        await sleep(t(150));
        await c.stop();
        expect(rec.deliveries).toHaveLength(0);
      },
    );

    it('a well-formed surrogate pair (emoji) is stored and delivered unchanged', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      const id = 'order-\u{1F600}';
      await mq.publish(queue, { id, type: 't\u{1F600}', payload: 1, headers: { h: '\u{1F600}' } });
      const rec = recorder();
      const c = mq.consume(queue, rec.handler);
      await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'delivery');
      await c.stop();
      expect(rec.deliveries[0]).toMatchObject({ id, type: 't\u{1F600}' });
      expect(rec.deliveries[0]?.message.headers).toEqual({ h: '\u{1F600}' });
    });
  });

  describe('dead-letter filters are validated before anything changes', () => {
    async function withDeadLetters(): Promise<{ mq: MessageQueue; queue: string }> {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(queue, [
        { type: 'a', payload: 1 },
        { type: 'b', payload: 2 },
      ]);
      const c = mq.consume(
        queue,
        async () => {
          throw new Error('boom');
        },
        { retry: { maxAttempts: 1 } },
      );
      await untilDeadLetters(mq, queue, 2);
      await c.stop();
      return { mq, queue };
    }

    it('a typo in a purge filter ({ tpye }) throws with a did-you-mean and purges nothing', async () => {
      const { mq, queue } = await withDeadLetters();
      const error = await mq.deadLetters
        .purge(queue, { tpye: 'a' } as unknown as { type: string })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('did you mean "type"');
      expect(await mq.deadLetters.count(queue)).toBe(2);
      const replayError = await mq.deadLetters
        .replay(queue, { idz: ['x'] } as unknown as { ids: string[] })
        .catch((e: unknown) => e);
      expect(replayError).toBeInstanceOf(ValidationError);
      expect(await mq.deadLetters.count(queue)).toBe(2);
    });

    it.each([
      ['limit -1', { limit: -1 }],
      ['limit NaN', { limit: Number.NaN }],
      ['limit 1.5', { limit: 1.5 }],
      ['offset -5', { offset: -5 }],
      ['an Invalid Date before', { before: new Date('nope') }],
      ['ids that are not an array', { ids: 'a' }],
      ['a where that is not a function', { where: true }],
    ])('list with %s fails with ValidationError', async (_name, filter) => {
      const { mq, queue } = await withDeadLetters();
      const error = await mq.deadLetters
        .list(queue, filter as unknown as { limit: number })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(await mq.deadLetters.count(queue)).toBe(2);
    });

    it('a valid filter still selects: type, limit and offset', async () => {
      const { mq, queue } = await withDeadLetters();
      expect((await mq.deadLetters.list(queue, { type: 'b' })).map((d) => d.message.type)).toEqual([
        'b',
      ]);
      expect(await mq.deadLetters.list(queue, { limit: 1, offset: 1 })).toHaveLength(1);
      expect(await mq.deadLetters.purge(queue, { type: 'a' })).toBe(1);
      expect(await mq.deadLetters.count(queue)).toBe(1);
    });
  });

  describe('API misuse is rejected before state changes', () => {
    it('close({ timeoutMs: -1 }) throws ConfigurationError and leaves the queue fully open', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      const rec = recorder();
      const consumer = mq.consume(queue, rec.handler);
      const error = await mq.close({ timeoutMs: -1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(consumer.running).toBe(true);
      await mq.publish(queue, { type: 't', payload: 'after' });
      await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'delivery after the bad close');
      await mq.close({ timeoutMs: 1_000 });
      expect(consumer.running).toBe(false);
    });

    it.each([
      ['undefined', undefined],
      ['a string', 'handler'],
      ['an object', {}],
    ])(
      'consume() with %s as handler throws ConfigurationError and starts nothing',
      async (_n, h) => {
        const mq = await make();
        const queue = uniqueQueue();
        await mq.publish(queue, { type: 't', payload: 1 });
        expect(() => mq.consume(queue, h as unknown as Handler)).toThrow(ConfigurationError);
        await sleep(t(100));
        expect(await mq.deadLetters.count(queue)).toBe(0);
        const rec = recorder();
        const c = mq.consume(queue, rec.handler);
        await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'delivery');
        await c.stop();
        expect(rec.deliveries[0]?.attempt).toBe(1);
      },
    );
  });

  describe('handler context', () => {
    it('a handler gets a frozen { signal, queue, consumerId } and nothing of the loop', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(queue, { type: 't', payload: 1 });
      const seen: { frozen: boolean; extra: string[]; signal: boolean; queue: string }[] = [];
      const consumer = mq.consume(queue, async (_m, ctx) => {
        seen.push({
          frozen: Object.isFrozen(ctx),
          extra: Object.keys(ctx).filter((k) => !['signal', 'queue', 'consumerId'].includes(k)),
          signal: ctx.signal instanceof AbortSignal && !ctx.signal.aborted,
          queue: ctx.queue,
        });
        expect(ctx.consumerId).toBe(consumer.id);
      });
      await waitFor(() => seen.length >= 1, t(5_000), 'delivery');
      await consumer.stop();
      expect(seen).toEqual([{ frozen: true, extra: [], signal: true, queue }]);
    });
  });

  describe('handler-chosen retry delay', () => {
    const slow = {
      maxAttempts: 3,
      backoff: { initialMs: 60_000, factor: 1, maxMs: 120_000, jitter: 0 },
    };

    it('failed: [{ id, error, retryInMs }] retries after retryInMs instead of the back-off', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(queue, { type: 't', payload: 1 });
      const rec = recorder(async (messages) =>
        messages[0]?.attempt === 1
          ? { failed: [{ id: messages[0].id, error: new Error('429'), retryInMs: 200 }] }
          : undefined,
      );
      const c = mq.consume(queue, rec.handler, { retry: slow });
      await waitFor(() => rec.deliveries.length >= 2, t(8_000), 'the retry');
      await c.stop();
      const [first, second] = rec.deliveries;
      expect(second?.attempt).toBe(2);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(150);
    });

    it('a thrown error carrying retryInMs is honoured, capped at backoff.maxMs', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(queue, { type: 't', payload: 1 });
      const rec = recorder(async (messages) => {
        if (messages[0]?.attempt === 1)
          throw Object.assign(new Error('rate limited'), { retryInMs: 3_600_000 });
      });
      const capped = {
        maxAttempts: 3,
        backoff: { initialMs: 50, factor: 1, maxMs: 300, jitter: 0 },
      };
      const c = mq.consume(queue, rec.handler, { retry: capped });
      await waitFor(() => rec.deliveries.length >= 2, t(8_000), 'the retry within maxMs');
      await c.stop();
      expect((rec.deliveries[1]?.at ?? 0) - (rec.deliveries[0]?.at ?? 0)).toBeGreaterThanOrEqual(
        250,
      );
    });
  });

  describe('stop, namespaces, batches, rate limits, limits', () => {
    it('stop() lets a handler that ignores its signal finish within timeoutMs, unaborted, and acknowledges it', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(queue, { type: 't', payload: 1 });
      const abortedAtEnd: boolean[] = [];
      const rec = recorder(async (_m, ctx) => {
        await sleep(400);
        abortedAtEnd.push(ctx.signal.aborted);
      });
      const consumer = mq.consume(queue, rec.handler);
      await waitFor(() => rec.deliveries.length >= 1, t(5_000), 'delivery');
      const started = Date.now();
      await consumer.stop({ timeoutMs: 10_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(abortedAtEnd).toEqual([false]);
      const again = recorder();
      const next = mq.consume(queue, again.handler);
      await sleep(t(300));
      await next.stop();
      expect(again.deliveries).toHaveLength(0);
    });

    it('a namespace isolates: neither another namespace nor none sees its messages', async () => {
      const green = await make({ namespace: 'green' });
      const blue = await make({ namespace: 'blue' });
      const plain = await make();
      const queue = uniqueQueue();
      await green.publish(queue, [
        { type: 't', payload: 'g1' },
        { type: 't', payload: 'g2' },
      ]);
      const b = recorder();
      const p = recorder();
      const cb = blue.consume(queue, b.handler);
      const cp = plain.consume(queue, p.handler);
      await sleep(t(300));
      await Promise.all([cb.stop(), cp.stop()]);
      expect(b.deliveries).toHaveLength(0);
      expect(p.deliveries).toHaveLength(0);
      const g = recorder();
      const cg = green.consume(queue, g.handler);
      await waitFor(() => g.deliveries.length >= 2, t(5_000), 'green deliveries');
      await cg.stop();
      expect(g.deliveries.map((d) => d.payload).sort()).toEqual(['g1', 'g2']);
    });

    it('batchSize: with enough messages due, every batch is exactly batchSize (the last holds the rest)', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(
        queue,
        Array.from({ length: 10 }, (_, i) => ({ type: 't', payload: i })),
      );
      const rec = recorder();
      const c = mq.consume(queue, rec.handler, { batchSize: 4 });
      await waitFor(() => rec.deliveries.length >= 10, t(10_000), '10 deliveries');
      await c.stop();
      expect(rec.batches).toEqual([4, 4, 2]);
    });

    it('rateLimit bounds handler starts per second', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      await mq.publish(
        queue,
        Array.from({ length: 12 }, (_, i) => ({ type: 't', payload: i })),
      );
      const rec = recorder();
      const started = Date.now();
      const c = mq.consume(queue, rec.handler, {
        concurrency: 10,
        rateLimit: { perSecond: 20, burst: 2 },
      });
      await waitFor(() => rec.deliveries.length >= 12, t(10_000), '12 deliveries');
      const elapsed = Date.now() - started;
      await c.stop();
      // 2 at once, then 20 per second: the other 10 need about 500 ms.
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(rec.distinct().size).toBe(12);
    });

    it('the default maxMessageBytes is the same on every provider', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      const error = await mq
        .publish(queue, { type: 't', payload: 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MessageTooLargeError);
      expect((error as MessageTooLargeError).limit).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    });
  });
}

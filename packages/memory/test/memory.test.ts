import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryQueue, createMemoryStore } from '../src/index.js';

const logger = pino({ level: 'silent' });

describe('@mqkit/memory', () => {
  it('immediate mode: publish resolves after the first attempt has an outcome', async () => {
    const mq = createMemoryQueue<{ greet: { name: string } }>({ immediate: true, logger });
    const handled: string[] = [];
    const consumer = mq.consume('greetings', async (messages) => {
      for (const m of messages) handled.push(m.payload.name);
    });
    await mq.publish('greetings', [
      { type: 'greet', payload: { name: 'ada' } },
      { type: 'greet', payload: { name: 'linus' } },
    ]);
    expect(handled).toEqual(['ada', 'linus']);
    await consumer.stop();
    await mq.close();
  });

  it('handler calls started together get one delivered event, emitted before any of them runs', async () => {
    const log: string[] = [];
    const mq = createMemoryQueue({
      logger,
      lifecycle: {
        name: 'log',
        onEvent: (e) => {
          if (e.type === 'delivered')
            log.push(`delivered ${[...e.messages].map((m) => m.id).join(',')}`);
          if (e.type === 'succeeded')
            log.push(`succeeded ${[...e.messages].map((m) => m.id).join(',')} calls ${e.calls}`);
        },
      },
    });
    await mq.publish(
      'together',
      ['a', 'b', 'c'].map((id) => ({ id, type: 't', payload: id })),
    );
    const consumer = mq.consume(
      'together',
      async ([m]) => {
        log.push(`handler ${m?.id}`);
      },
      { batchSize: 1, concurrency: 3 },
    );
    for (let i = 0; i < 100 && !log.some((l) => l.startsWith('succeeded')); i++)
      await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    await mq.close();
    expect(log.slice(0, 4)).toEqual(['delivered a,b,c', 'handler a', 'handler b', 'handler c']);
    // They ended together too: one succeeded event reports the three calls.
    expect(log.slice(4)).toEqual(['succeeded a,b,c calls 3']);
  });

  it('a poison message is listed in the dead letters with its id, type, key and raw payload', async () => {
    const picky = {
      name: 'picky',
      serialize: (v: unknown) => JSON.stringify(v),
      deserialize: (s: string) => {
        if (s.includes('bad')) throw new Error('unreadable');
        return JSON.parse(s) as unknown;
      },
    };
    const mq = createMemoryQueue({ logger, serializer: picky });
    await mq.publish('poison', [
      { id: 'p1', type: 'job', payload: 'bad', partitionKey: 'k', headers: { h: 'v' } },
    ]);
    const consumer = mq.consume('poison', async () => {});
    for (let i = 0; i < 100 && (await mq.deadLetters.count('poison')) === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    const [dead] = await mq.deadLetters.list('poison');
    expect(dead?.message).toMatchObject({
      id: 'p1',
      type: 'job',
      queue: 'poison',
      payload: '"bad"',
      partitionKey: 'k',
      headers: { h: 'v' },
      attempt: 1,
      meta: { rawPayload: true },
    });
    expect(dead?.error.code).toBe('MQKIT_SERIALIZATION');
    await mq.close();
  });

  it('without a consumer, immediate publish still resolves and keeps the messages', async () => {
    const mq = createMemoryQueue({ immediate: true, logger });
    await mq.publish('later', { type: 't', payload: 1 });
    expect(mq.store.size('later')).toBe(1);
  });

  it('a payload mutated after publish does not change the queued message', async () => {
    const mq = createMemoryQueue({ logger, immediate: true });
    const seen: unknown[] = [];
    const consumer = mq.consume('q', async (m) => void seen.push(m[0]?.payload));
    const payload = { n: 1 };
    await consumer.stop();
    await mq.publish('q', { type: 't', payload });
    payload.n = 2;
    const c2 = mq.consume('q', async (m) => void seen.push(m[0]?.payload));
    await new Promise((r) => setTimeout(r, 50));
    await c2.stop();
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('queue instances sharing a store share queues; a namespace separates them', async () => {
    const store = createMemoryStore();
    const a = createMemoryQueue({ store, logger });
    const b = createMemoryQueue({ store, logger });
    const staging = createMemoryQueue({ store, logger, namespace: 'staging' });
    await a.publish('jobs', { type: 't', payload: 1 });
    await staging.publish('jobs', { type: 't', payload: 2 });
    expect(store.size('jobs')).toBe(1);
    expect(store.size('staging:jobs')).toBe(1);
    const got: unknown[] = [];
    const c = b.consume('jobs', async (m) => void got.push(m[0]?.payload));
    await new Promise((r) => setTimeout(r, 50));
    await c.stop();
    expect(got).toEqual([1]);
    expect(store.queueNames().sort()).toEqual(['jobs', 'staging:jobs']);
  });

  it('rejects unknown factory options', () => {
    expect(() => createMemoryQueue({ immediat: true } as never)).toThrow(
      /option "immediat" is not a known option; did you mean "immediate"\?/,
    );
  });
});

describe('@mqkit/memory immediate mode and bookkeeping', () => {
  it('a handler publishing to its own queue in immediate mode does not deadlock', async () => {
    const mq = createMemoryQueue({ immediate: true, logger });
    const seen: string[] = [];
    const consumer = mq.consume(
      'chain',
      async (messages) => {
        const m = messages[0];
        seen.push(m?.type ?? '');
        if (m?.type === 'parent') await mq.publish('chain', { type: 'child', payload: 1 });
      },
      { concurrency: 1, handlerTimeoutMs: 2_000 },
    );
    const started = Date.now();
    await mq.publish('chain', { type: 'parent', payload: 0 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
    expect(seen).toEqual(['parent', 'child']);
  });

  it('rejects non-boolean immediate and logPayloads', () => {
    expect(() => createMemoryQueue({ immediate: 'yes' as never })).toThrow(
      /option "immediate" must be true or false \(got "yes"\)/,
    );
    expect(() => createMemoryQueue({ logPayloads: 1 as never })).toThrow(
      /option "logPayloads" must be true or false/,
    );
  });

  it('a dead letter keeps the maxAttempts it was consumed with, whatever consumers came later', async () => {
    const mq = createMemoryQueue({ logger });
    await mq.publish('a', { type: 't', payload: 1 });
    const c = mq.consume(
      'a',
      async () => {
        throw new Error('x');
      },
      { retry: { maxAttempts: 2, backoff: { initialMs: 0 } } },
    );
    await new Promise((r) => setTimeout(r, 100));
    await c.stop();
    const other = mq.consume('b', async () => {}, { retry: { maxAttempts: 9 } });
    await other.stop();
    const [dl] = await mq.deadLetters.list('a');
    expect(dl?.attempts).toBe(2);
    expect(dl?.message.maxAttempts).toBe(2);
  });

  it('the published event lists only messages that were stored (not deduplicated ones)', async () => {
    const published: string[][] = [];
    const mq = createMemoryQueue({
      logger,
      lifecycle: {
        name: 'p',
        onEvent: (e) =>
          void (e.type === 'published' && published.push(e.messages.map((m) => m.id))),
      },
    });
    await mq.publish('d', { id: 'x', type: 't', payload: 1 });
    await mq.publish('d', [
      { id: 'x', type: 't', payload: 2 },
      { id: 'y', type: 't', payload: 3 },
    ]);
    await mq.publish('d', { id: 'x', type: 't', payload: 4 });
    expect(published).toEqual([['x'], ['y']]);
  });

  it('stop({ timeoutMs }) with a bad value fails with ConfigurationError', async () => {
    const mq = createMemoryQueue({ logger });
    const c = mq.consume('s', async () => {});
    await expect(c.stop({ timeoutMs: -1 })).rejects.toMatchObject({
      code: 'MQKIT_CONFIGURATION',
      field: 'timeoutMs',
    });
    await c.stop();
  });
});

describe('memory stats()', () => {
  it('counts messages behind their partition key as ready, the leased head as in flight, and a released one as ready again', async () => {
    const mq = createMemoryQueue({ logger });
    await mq.publish('keyed', [
      { type: 't', payload: 1, partitionKey: 'k' },
      { type: 't', payload: 2, partitionKey: 'k' },
      { type: 't', payload: 3, partitionKey: 'k' },
    ]);
    const before = await mq.stats('keyed');
    expect([before.ready, before.delayed, before.inFlight]).toEqual([3, 0, 0]);
    // A handler that runs until it is aborted.
    let started = 0;
    const consumer = mq.consume(
      'keyed',
      async (_m, ctx) => {
        started++;
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        throw new Error('aborted');
      },
      { visibilityTimeoutMs: 200, heartbeatIntervalMs: 50 },
    );
    while (started === 0) await new Promise((r) => setTimeout(r, 5));
    const leased = await mq.stats('keyed');
    expect([leased.ready, leased.delayed, leased.inFlight]).toEqual([2, 0, 1]);
    await consumer.stop({ timeoutMs: 0 });
    const after = await mq.stats('keyed');
    // Released at shutdown: due again at once, nothing in flight.
    expect([after.ready, after.delayed, after.inFlight]).toEqual([3, 0, 0]);
    await mq.close();
  });
});

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
    expect(store.size('staging.jobs')).toBe(1);
    const got: unknown[] = [];
    const c = b.consume('jobs', async (m) => void got.push(m[0]?.payload));
    await new Promise((r) => setTimeout(r, 50));
    await c.stop();
    expect(got).toEqual([1]);
    expect(store.queueNames().sort()).toEqual(['jobs', 'staging.jobs']);
  });

  it('rejects unknown factory options', () => {
    expect(() => createMemoryQueue({ immediat: true } as never)).toThrow(
      /option "immediat" is not a known option; did you mean "immediate"\?/,
    );
  });
});

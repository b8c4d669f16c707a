import {
  ConfigurationError,
  type MessageQueue,
  type QueueOptions,
  type QueueStats,
} from '@mqkit/core';
import { describe, expect, it } from 'vitest';
import { recorder, uniqueQueue, waitFor } from './helpers.js';

/**
 * `peek()` and `queues()` (the read-only operator views behind `mqkit peek` and `mqkit queues`),
 * run by the conformance suite for every provider that has them. `unmeasured` lists the
 * `stats()` counts the provider reports as `null` (a stream has no ready/in-flight counts).
 */
export function defineOperatorViewCases(
  make: (options?: QueueOptions) => Promise<MessageQueue>,
  t: (ms: number) => number,
  unmeasured: readonly (keyof QueueStats)[] = [],
): void {
  describe('operator views (peek, queues)', () => {
    it('peek lists due messages in claim order without claiming them', async (ctx) => {
      const mq = await make();
      if (mq.peek === undefined) ctx.skip();
      const peek = mq.peek?.bind(mq) as NonNullable<MessageQueue['peek']>;
      const queue = uniqueQueue();
      const priority = mq.capabilities.priority;
      await mq.publish(queue, { type: 'first', payload: { n: 1 } });
      await mq.publish(queue, { type: 'second', payload: { n: 2 }, headers: { h: 'v' } });
      if (priority) await mq.publish(queue, { type: 'urgent', payload: { n: 0 }, priority: 5 });
      if (mq.capabilities.delay)
        await mq.publish(queue, { type: 'later', payload: {}, delayMs: 60_000 });

      const seen = await peek(queue);
      expect(seen.map((m) => m.type)).toEqual(
        priority ? ['urgent', 'first', 'second'] : ['first', 'second'],
      );
      const second = seen.find((m) => m.type === 'second');
      expect(second?.payload).toEqual({ n: 2 });
      expect(second?.headers).toEqual({ h: 'v' });
      expect(second?.attempt).toBe(1);
      expect((await peek(queue, { limit: 1 })).map((m) => m.type)).toEqual([
        priority ? 'urgent' : 'first',
      ]);
      // Nothing was claimed: every message is still ready, and the first delivery is attempt 1.
      const stats = await mq.stats(queue);
      if (!unmeasured.includes('ready')) expect(stats.ready).toBe(priority ? 3 : 2);
      if (!unmeasured.includes('inFlight')) expect(stats.inFlight).toBe(0);
      const rec = recorder();
      const consumer = mq.consume(queue, rec.handler);
      await waitFor(() => rec.deliveries.length >= (priority ? 3 : 2), t(10_000), 'deliveries');
      await consumer.stop();
      expect(rec.deliveries.every((m) => m.attempt === 1)).toBe(true);
      expect(await peek(queue)).toEqual([]);
    });

    it('peek validates its limit before any I/O', async (ctx) => {
      const mq = await make();
      if (mq.peek === undefined) ctx.skip();
      await expect(mq.peek?.(uniqueQueue(), { limit: 0 })).rejects.toThrow(ConfigurationError);
      await expect(mq.peek?.(uniqueQueue(), { limit: 1001 })).rejects.toThrow(/peek\.limit/);
    });

    it('queues lists the queues of its namespace that hold messages or dead letters', async (ctx) => {
      const ns = `ops${Math.random().toString(36).slice(2, 8)}`;
      const mq = await make({ namespace: ns });
      const other = await make({ namespace: `${ns}x` });
      if (mq.queues === undefined) ctx.skip();
      const a = uniqueQueue();
      const b = uniqueQueue();
      await mq.publish(a, { type: 't', payload: {} });
      await mq.publish(b, { type: 't', payload: {} });
      await other.publish(uniqueQueue(), { type: 't', payload: {} });
      expect(await mq.queues?.()).toEqual([a, b].sort());
    });
  });
}

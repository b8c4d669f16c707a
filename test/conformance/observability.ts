import {
  ConfigurationError,
  type MessageQueue,
  NonRetryableError,
  QueueClosedError,
  type QueueOptions,
  type QueueStats,
  ValidationError,
} from '@mqkit/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sleep, uniqueQueue, waitFor } from './helpers.js';
import type { ConformanceTarget } from './target.js';

type Counts = Pick<QueueStats, 'ready' | 'delayed' | 'inFlight' | 'deadLettered'>;
const silent = pino({ level: 'silent' });
const COUNT_FIELDS = ['ready', 'delayed', 'inFlight', 'deadLettered'] as const;

/**
 * `stats()` and `health()` cases, run by the conformance suite for every provider. Counts a
 * target lists in `unmeasuredStats` must be `null`; every other count must be exact.
 */
export function defineObservabilityCases(
  target: ConformanceTarget,
  make: (options?: QueueOptions) => Promise<MessageQueue>,
  t: (ms: number) => number,
): void {
  const unmeasured = new Set<string>(target.unmeasuredStats ?? []);
  const expected = (counts: Counts): Record<string, number | null> =>
    Object.fromEntries(COUNT_FIELDS.map((k) => [k, unmeasured.has(k) ? null : counts[k]]));
  const countsOf = (s: QueueStats): Record<string, number | null> =>
    Object.fromEntries(COUNT_FIELDS.map((k) => [k, s[k]]));
  /** Polls stats until the counts equal `counts` (outcome writes are asynchronous), then asserts. */
  async function untilCounts(mq: MessageQueue, queue: string, counts: Counts): Promise<QueueStats> {
    let last: QueueStats | undefined;
    await waitFor(
      async () => {
        last = await mq.stats(queue);
        return JSON.stringify(countsOf(last)) === JSON.stringify(expected(counts));
      },
      t(10_000),
      `stats ${JSON.stringify(counts)}`,
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; last ${JSON.stringify(last && countsOf(last))}`,
      );
    });
    expect(countsOf(last as QueueStats)).toEqual(expected(counts));
    return last as QueueStats;
  }

  /** The stats script for providers without `delay`: publish, fail for good, succeed. */
  async function undelayedScript(mq: MessageQueue, queue: string): Promise<void> {
    const zero = { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 };
    await untilCounts(mq, queue, zero);
    await mq.publish(queue, [
      { type: 'fatal', payload: 1 },
      { type: 'ok', payload: 2 },
      { type: 'fatal', payload: 3 },
    ]);
    await untilCounts(mq, queue, { ...zero, ready: 3 });
    const consumer = mq.consume(queue, async ([m]) => {
      if (m?.type === 'fatal') throw new NonRetryableError('fatal');
    });
    await untilCounts(mq, queue, { ...zero, deadLettered: 2 });
    await consumer.stop();
    await untilCounts(mq, queue, { ...zero, deadLettered: 2 });
  }

  describe('stats and health', () => {
    it('stats() counts exactly through publish, delay, claim, fail, retry, dead-letter and ack', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      if (!mq.capabilities.delay) {
        // Without delays (streams) the script is shorter: what can be counted is counted exactly.
        await undelayedScript(mq, queue);
        return;
      }

      const empty = await mq.stats(queue);
      expect(empty.queue).toBe(queue);
      expect(countsOf(empty)).toEqual(
        expected({ ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 }),
      );
      if (!unmeasured.has('oldestReadyAgeMs')) expect(empty.oldestReadyAgeMs).toBe(0);

      // 1. One ready message, one due soon and two delayed for long; the ready one ages, and the
      //    soon one moves from delayed to ready when its time comes.
      await mq.publish(queue, { type: 'hold', payload: 0 });
      await mq.publish(queue, [
        { type: 'soon', payload: 9, delayMs: t(600) },
        { type: 'later', payload: 1, delayMs: 600_000 },
        { type: 'later', payload: 2, delayMs: 600_000 },
      ]);
      await untilCounts(mq, queue, { ready: 1, delayed: 3, inFlight: 0, deadLettered: 0 });
      await sleep(t(300));
      const aged = await mq.stats(queue);
      if (!unmeasured.has('oldestReadyAgeMs')) {
        expect(aged.oldestReadyAgeMs).toBeGreaterThanOrEqual(200);
        expect(aged.oldestReadyAgeMs).toBeLessThan(t(60_000));
      }
      await untilCounts(mq, queue, { ready: 2, delayed: 2, inFlight: 0, deadLettered: 0 });

      // 2. Two messages that fail for good, one that fails once and waits for a long back-off.
      await mq.publish(queue, [
        { type: 'fatal', payload: 3 },
        { type: 'fatal', payload: 4 },
        { type: 'flaky', payload: 5 },
      ]);
      await untilCounts(mq, queue, { ready: 5, delayed: 2, inFlight: 0, deadLettered: 0 });

      // 3. Consume: `hold` stays in flight until released.
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const consumer = mq.consume(
        queue,
        async ([m]) => {
          if (m?.type === 'hold') return gate;
          if (m?.type === 'fatal') throw new NonRetryableError('fatal');
          if (m?.type === 'flaky') throw new Error('flaky');
        },
        {
          concurrency: 4,
          retry: {
            maxAttempts: 3,
            backoff: { initialMs: 600_000, factor: 1, maxMs: 600_000, jitter: 0 },
          },
        },
      );
      await untilCounts(mq, queue, { ready: 0, delayed: 3, inFlight: 1, deadLettered: 2 });
      expect((await mq.stats(queue)).oldestReadyAgeMs).toBe(
        unmeasured.has('oldestReadyAgeMs') ? null : 0,
      );

      // 4. Release `hold`: it is acknowledged and leaves the counts.
      release();
      await untilCounts(mq, queue, { ready: 0, delayed: 3, inFlight: 0, deadLettered: 2 });
      await consumer.stop();
      await untilCounts(mq, queue, { ready: 0, delayed: 3, inFlight: 0, deadLettered: 2 });

      // 5. Replaying the dead letters makes them ready again.
      expect(await mq.deadLetters.replay(queue)).toBe(2);
      await untilCounts(mq, queue, { ready: 2, delayed: 3, inFlight: 0, deadLettered: 0 });
    });

    it('stats() of one queue does not count another queue or namespace', async () => {
      const mq = await make();
      const other = await make({ namespace: 'statsns' });
      const queue = uniqueQueue();
      await mq.publish(queue, [
        { type: 't', payload: 1 },
        { type: 't', payload: 2 },
      ]);
      await other.publish(queue, { type: 't', payload: 3 });
      await mq.publish(uniqueQueue(), { type: 't', payload: 4 });
      await untilCounts(mq, queue, { ready: 2, delayed: 0, inFlight: 0, deadLettered: 0 });
      await untilCounts(other, queue, { ready: 1, delayed: 0, inFlight: 0, deadLettered: 0 });
    });

    it('stats() rejects a bad queue name before any I/O, and a closed queue', async () => {
      const mq = await make();
      await expect(mq.stats('bad name!')).rejects.toBeInstanceOf(ValidationError);
      await mq.close();
      await expect(mq.stats(uniqueQueue())).rejects.toBeInstanceOf(QueueClosedError);
    });

    it('health() reports a reachable backend and each running consumer', async () => {
      const mq = await make();
      const queue = uniqueQueue();
      const idle = await mq.health();
      expect(idle.ok).toBe(true);
      expect(idle.ready).toBe(true);
      expect(idle.live).toBe(true);
      expect(idle.provider).toBe(mq.provider);
      expect(idle.backend.ok).toBe(true);
      expect(idle.backend.error).toBeUndefined();
      expect(idle.backend.latencyMs).toBeGreaterThanOrEqual(0);
      expect(idle.consumers).toEqual([]);

      const before = Date.now();
      const consumer = mq.consume(queue, async () => {});
      const claims = target.reportsClaims !== false;
      await waitFor(
        async () => {
          const [c] = (await mq.health()).consumers;
          return c !== undefined && (!claims || c.lastClaimAt !== undefined);
        },
        t(5_000),
        claims ? 'a first claim' : 'the consumer in health()',
      );
      const busy = await mq.health();
      expect(busy.ok).toBe(true);
      expect(busy.consumers).toHaveLength(1);
      const [c] = busy.consumers;
      expect(c?.id).toBe(consumer.id);
      expect(c?.queue).toBe(queue);
      expect(c?.running).toBe(true);
      expect(c?.circuit).toBe('closed');
      expect(c?.live).toBe(true);
      if (claims) expect(c?.lastClaimAt?.getTime()).toBeGreaterThanOrEqual(before - 5);
      else expect(c?.lastClaimAt).toBeUndefined();
      await consumer.stop();
      expect((await mq.health()).consumers).toEqual([]);
    });

    it('health() rejects bad options with ConfigurationError', async () => {
      const mq = await make();
      await expect(mq.health({ timeoutMs: -1 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(mq.health({ timeout: 5 } as never)).rejects.toThrow(
        /did you mean "health.timeoutMs"/,
      );
    });

    it.runIf(target.createDown !== undefined)(
      'health() reports an unreachable backend within its timeout and never throws; the consumer circuit opens',
      async () => {
        const down = await (target.createDown as NonNullable<ConformanceTarget['createDown']>)({
          logger: silent,
        });
        try {
          const started = Date.now();
          const report = await down.health({ timeoutMs: 1_500 });
          expect(Date.now() - started).toBeLessThan(t(5_000));
          expect(report.ok).toBe(false);
          expect(report.ready).toBe(false);
          expect(report.backend.ok).toBe(false);
          expect(report.backend.error?.message.length).toBeGreaterThan(0);
          const consumer = down.consume(uniqueQueue(), async () => {}, {
            circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 60_000 },
          });
          await waitFor(
            async () => (await down.health({ timeoutMs: 200 })).consumers[0]?.circuit === 'open',
            t(15_000),
            'the circuit to open',
          );
          await consumer.stop({ timeoutMs: 0 });
        } finally {
          await down.close({ timeoutMs: 0 });
        }
      },
    );
  });
}

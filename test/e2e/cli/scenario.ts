import { randomBytes } from 'node:crypto';
import { type Message, type MessageQueue, NonRetryableError, type QueueOptions } from '@mqkit/core';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { waitFor } from '../../conformance/helpers.js';
import { jsonOf, mqkit } from './run-cli.js';

/** A backend the CLI scenario runs against: how the app side opens a queue, and the CLI flags. */
export interface CliTarget {
  /** Opens a queue on the same store the CLI reads (the test closes it). */
  create(options: QueueOptions): MessageQueue | Promise<MessageQueue>;
  /** Connection flags/env for the binary (besides --namespace). */
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

const silent = pino({ level: 'silent' });

/**
 * The CLI cases every backend runs: the binary is a subprocess, the app side (publishing,
 * dead-lettering) uses the provider API, and each case asserts what the store holds afterwards.
 */
export function defineCliScenario(target: () => CliTarget): void {
  const namespace = `cli${randomBytes(4).toString('hex')}`;
  const queueName = 'orders';
  const cli = (...args: string[]) =>
    mqkit([...target().args, '--namespace', namespace, ...args], target().env);

  /** Publishes 2 live messages and dead-letters 3 (`bad` ×2 "boom N", `worse` ×1 "kaput"). */
  async function seed(): Promise<{ mq: MessageQueue; live: string[]; dead: string[] }> {
    const mq = await target().create({ namespace, logger: silent });
    const dead = (
      await mq.publish(queueName, [
        { type: 'bad', payload: { n: 1 } },
        { type: 'bad', payload: { n: 2 } },
        { type: 'worse', payload: { n: 3 } },
      ])
    ).ids;
    const consumer = mq.consume(queueName, async (messages) => {
      const m = messages[0] as Message;
      const text = m.type === 'worse' ? 'kaput' : `boom ${(m.payload as { n: number }).n}`;
      throw new NonRetryableError(text);
    });
    await waitFor(
      async () => (await mq.deadLetters.count(queueName)) === 3,
      20_000,
      '3 dead letters',
    );
    await consumer.stop();
    const live = (
      await mq.publish(queueName, [
        { type: 'ok', payload: { secret: 'card-4242' }, headers: { k: 'v' } },
        { type: 'ok', payload: { secret: 'card-4343' } },
      ])
    ).ids;
    return { mq, live, dead };
  }

  it('queues, peek and dlq read what the store holds; replay and purge change it only when confirmed', async () => {
    const { mq, live, dead } = await seed();
    try {
      // queues: exact stats() numbers of the namespace's only queue.
      const stats = jsonOf<
        { queue: string; ready: number; deadLettered: number; inFlight: number }[]
      >(await cli('--json', 'queues'));
      expect(stats.map((s) => [s.queue, s.ready, s.inFlight, s.deadLettered])).toEqual([
        [queueName, 2, 0, 3],
      ]);
      const table = await cli('queues');
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(
        /^QUEUE\s+READY\s+DELAYED\s+IN-FLIGHT\s+DEAD\s+OLDEST-READY$/,
      );
      expect(table.stdout).toMatch(new RegExp(`^${queueName}\\s+2\\s+0\\s+0\\s+3\\s`, 'm'));

      // peek: due messages in order, payloads only when asked, nothing claimed.
      const peeked = jsonOf<{ id: string; payload?: unknown; attempt: number }[]>(
        await cli('--json', 'peek', queueName),
      );
      expect(peeked.map((m) => m.id)).toEqual(live);
      expect(peeked.every((m) => !('payload' in m) && m.attempt === 1)).toBe(true);
      const plain = await cli('peek', queueName);
      expect(plain.stdout).not.toContain('card-4242');
      const withPayloads = await cli('peek', queueName, '--payloads', '--limit', '1');
      expect(withPayloads.stdout).toContain('card-4242');
      expect(withPayloads.stdout).not.toContain('card-4343');
      expect((await mq.stats(queueName)).inFlight).toBe(0);
      expect((await mq.stats(queueName)).ready).toBe(2);

      // dlq list with filters.
      const all = jsonOf<
        { message: { id: string; payload?: unknown }; error: { message: string } }[]
      >(await cli('--json', 'dlq', 'list', queueName));
      expect(all.map((d) => d.message.id).sort()).toEqual([...dead].sort());
      expect(all.every((d) => !('payload' in d.message))).toBe(true);
      const byType = jsonOf<{ message: { id: string } }[]>(
        await cli('--json', 'dlq', 'list', queueName, '--type', 'worse'),
      );
      expect(byType.map((d) => d.message.id)).toEqual([dead[2]]);
      const byError = jsonOf<{ message: { id: string } }[]>(
        await cli('--json', 'dlq', 'list', queueName, '--error', 'BOOM 2'),
      );
      expect(byError.map((d) => d.message.id)).toEqual([dead[1]]);
      const future = jsonOf<unknown[]>(
        await cli('--json', 'dlq', 'list', queueName, '--since', '2999-01-01T00:00:00Z'),
      );
      expect(future).toEqual([]);
      const recent = jsonOf<unknown[]>(
        await cli('--json', 'dlq', 'list', queueName, '--since', '1h'),
      );
      expect(recent).toHaveLength(3);

      // dlq inspect.
      const one = jsonOf<{
        message: { id: string; payload?: unknown };
        error: { message: string };
        attempts: number;
      }>(await cli('--json', 'dlq', 'inspect', queueName, dead[0] as string, '--payloads'));
      expect(one.message.id).toBe(dead[0]);
      expect(one.message.payload).toEqual({ n: 1 });
      expect(one.error.message).toBe('boom 1');
      expect(one.attempts).toBe(1);
      const missing = await cli('dlq', 'inspect', queueName, 'no-such-id');
      expect(missing.code).toBe(3);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);

      // replay without --yes and without a terminal: refused, nothing moves.
      const refused = await cli('dlq', 'replay', queueName, '--id', dead[0] as string);
      expect(refused.code).toBe(4);
      expect(await mq.deadLetters.count(queueName)).toBe(3);

      // replay one by id: it is live again with its attempts reset.
      const replayed = jsonOf<{ replayed: number }>(
        await cli('--json', 'dlq', 'replay', queueName, '--id', dead[0] as string, '--yes'),
      );
      expect(replayed).toEqual({ replayed: 1 });
      expect(await mq.deadLetters.count(queueName)).toBe(2);
      expect(await mq.deadLetters.inspect(queueName, dead[0] as string)).toBeUndefined();
      const back = await mq.peek?.(queueName, { limit: 10 });
      expect(back?.map((m) => m.id)).toContain(dead[0]);
      expect(back?.find((m) => m.id === dead[0])?.attempt).toBe(1);

      // purge by error text: only the matching one goes.
      const purged = await cli('dlq', 'purge', queueName, '--error', 'kaput', '--yes');
      expect(purged.code).toBe(0);
      expect(purged.stdout).toContain('purged 1 dead letter(s)');
      expect((await mq.deadLetters.list(queueName)).map((d) => d.message.id)).toEqual([dead[1]]);
      // The live messages were never touched.
      expect((await mq.stats(queueName)).ready).toBe(3);
    } finally {
      await mq.close({ timeoutMs: 0 });
    }
    // About twenty subprocesses, each a Node start-up on a contended CPU.
  }, 180_000);

  it('an unknown queue is one line on stderr and exit code 3', async () => {
    const run = await cli('peek', 'no-such-queue');
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^mqkit: unknown queue "no-such-queue"/),
    ]);
    expect(run.stdout).toBe('');
  });
}

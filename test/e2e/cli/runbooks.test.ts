import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type Message, NonRetryableError } from '@mqkit/core';
import { createKinesisQueue } from '@mqkit/kinesis';
import { createPrismaQueue } from '@mqkit/prisma';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  plainKinesis,
  probeRedis,
  REDIS_URL,
  startKinesis,
  unique,
} from '../../../packages/kinesis/test/support.js';
import { postgres, probe } from '../../../packages/prisma/test/databases.js';
import { waitFor } from '../../conformance/helpers.js';
import { mqkit } from './run-cli.js';

// Every `mqkit` command in docs/runbooks/*.md runs here, against PostgreSQL (queue commands) and
// kinesalite + Redis (shard commands), each runbook on freshly seeded data; every alert a runbook
// names must exist in docs/prometheus/alerts.yml.
const DIR = new URL('../../../docs/runbooks/', import.meta.url);
const runbooks = readdirSync(DIR)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort();
const text = (file: string): string => readFileSync(new URL(file, DIR), 'utf8');
const alerts = readFileSync(
  new URL('../../../docs/prometheus/alerts.yml', import.meta.url),
  'utf8',
);

/** The `mqkit …` lines of the ```sh blocks of a page, without output redirections. */
export function commandsOf(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of (block[1] as string).split('\n')) {
      const line = raw.trim();
      if (line.startsWith('mqkit ')) out.push(line.replace(/\s+>\s+\S+$/, ''));
    }
  }
  return out;
}

/** Splits a command line into arguments (double quotes group words). */
const argsOf = (line: string): string[] =>
  [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string).slice(1);

const KINESIS_COMMANDS = new Set(['shards', 'instances', 'lease', 'checkpoint']);
const QUEUE = 'orders';

describe('runbooks', () => {
  it('name only alerts that docs/prometheus/alerts.yml defines, and every page has commands', () => {
    expect(runbooks).toHaveLength(8);
    for (const file of [...runbooks, 'README.md']) {
      for (const [name] of text(file).matchAll(/Mqkit[A-Z][A-Za-z]+/g)) {
        expect(alerts, `${file} names ${name}`).toContain(`alert: ${name}`);
      }
      if (file !== 'README.md') expect(commandsOf(text(file)).length, file).toBeGreaterThan(0);
    }
  });
});

const pgDown = await probe(postgres);
const redisDown = await probeRedis();
const reason = pgDown ?? redisDown;
if (reason) console.log(`SKIPPED: runbook commands — ${reason}`);

describe.runIf(reason === undefined)('runbook commands run', () => {
  let kinesis: Awaited<ReturnType<typeof startKinesis>>;
  let redis: Redis;
  const prisma = postgres.client({ max: 2 });
  const keyPrefix = unique('mqkit-runbook');
  let sequence = '1';
  const silent = pino({ level: 'silent' });

  beforeAll(async () => {
    kinesis = await startKinesis();
    redis = new Redis(REDIS_URL);
    // A stream `orders` whose shards have leases and checkpoints, then no live consumer.
    const client = plainKinesis(kinesis.endpoint);
    const mq = createKinesisQueue({
      kinesis: client,
      redis,
      keyPrefix,
      autoCreate: { shardCount: 2 },
      logger: silent,
    });
    let handled = 0;
    const consumer = mq.consume(QUEUE, async () => {
      handled++;
    });
    await mq.publish(
      QUEUE,
      Array.from({ length: 8 }, (_, i) => ({ type: 't', payload: { i }, partitionKey: `k${i}` })),
    );
    await waitFor(() => handled >= 8, 30_000, 'records handled');
    await consumer.stop();
    await mq.close({ timeoutMs: 0 });
    client.destroy();
    sequence =
      (await redis.hget(`${keyPrefix}:{${QUEUE}}:checkpoint:shardId-000000000000`, 'position')) ??
      '1';
  });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await prisma.$disconnect();
    await kinesis.stop();
  });

  /** A namespace whose `orders` queue holds 2 live messages and 2 dead letters (one "timeout"). */
  async function seedPostgres(): Promise<{ namespace: string; deadId: string }> {
    const namespace = `rb${randomBytes(4).toString('hex')}`;
    const mq = createPrismaQueue({ prisma, namespace, logger: silent });
    try {
      const { ids } = await mq.publish(QUEUE, [
        { type: 'order.created', payload: { n: 1 } },
        { type: 'order.paid', payload: { n: 2 } },
      ]);
      const consumer = mq.consume(QUEUE, async (messages) => {
        const m = messages[0] as Message;
        throw new NonRetryableError(m.type === 'order.created' ? 'upstream timeout' : 'bad input');
      });
      await waitFor(async () => (await mq.deadLetters.count(QUEUE)) === 2, 20_000, 'dead letters');
      await consumer.stop();
      await mq.publish(QUEUE, [
        { type: 'order.created', payload: {} },
        { type: 'order.paid', payload: {} },
      ]);
      return { namespace, deadId: ids[0] as string };
    } finally {
      await mq.close({ timeoutMs: 0 });
    }
  }

  for (const file of runbooks) {
    it(`docs/runbooks/${file}`, async () => {
      const { namespace, deadId } = await seedPostgres();
      for (const line of commandsOf(text(file))) {
        const args = argsOf(line.replaceAll('<id>', deadId).replaceAll('<sequence>', sequence));
        const kinesisCommand = KINESIS_COMMANDS.has(args.find((a) => !a.startsWith('-')) ?? '');
        const run = kinesisCommand
          ? await mqkit(['--key-prefix', keyPrefix, ...args], {
              MQKIT_REDIS_URL: REDIS_URL,
              MQKIT_KINESIS_ENDPOINT: kinesis.endpoint,
              AWS_REGION: 'us-east-1',
              AWS_ACCESS_KEY_ID: 'test',
              AWS_SECRET_ACCESS_KEY: 'test',
            })
          : await mqkit(args, { MQKIT_DATABASE_URL: postgres.url, MQKIT_NAMESPACE: namespace });
        // stderr may carry the AWS SDK's Node-version notice; an mqkit error line is a failure.
        expect({ line, code: run.code, stderr: run.stderr }).toEqual({
          line,
          code: 0,
          stderr: expect.not.stringContaining('mqkit:'),
        });
        expect(run.stdout.length, line).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});

// PostgreSQL publishes send each column as one joined text (split by string_to_array) unless a
// value holds a marker character or is empty, in which case the batch goes as one JSON document;
// both store exactly the same rows. Ids mqkit generated skip the deduplication check; given ids
// and a custom generateId keep it.

import type { LifecycleEvent } from '@mqkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { PrismaClientLike } from '../src/client.js';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { POSTGRES_URL, postgres, postgresClient, probe } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: ${postgres.label} publish encoding — ${unreachable}`);

interface StoredRow {
  id: string;
  type: string;
  payload: string;
  headers: string | null;
  partition_key: string | null;
  priority: number;
  max_attempts: number | null;
  delay_ms: number;
}

describe.runIf(unreachable === undefined)(`${postgres.label} publish encoding`, () => {
  const prisma = postgresClient(POSTGRES_URL, 2);
  const schema = `mqkit_test_publish_${Math.random().toString(36).slice(2, 8)}`;
  const table = `${schema}.work`;
  afterAll(async () => {
    await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await prisma.$disconnect();
  });

  /** The client, recording the text of every statement sent. */
  const recording = (sent: string[]): PrismaClientLike => ({
    $queryRawUnsafe: (sql, ...values) => {
      sent.push(sql);
      return prisma.$queryRawUnsafe(sql, ...values);
    },
    $executeRawUnsafe: (sql, ...values) => {
      sent.push(sql);
      return prisma.$executeRawUnsafe(sql, ...values);
    },
    $transaction: ((fn, options) =>
      prisma.$transaction(fn as never, options as never)) as PrismaClientLike['$transaction'],
  });

  const rowsOf = (queue: string) =>
    prisma.$queryRawUnsafe<StoredRow[]>(
      `SELECT id, type, payload, headers, partition_key, priority, max_attempts,
         round(extract(epoch FROM run_at - created_at) * 1000)::int AS delay_ms
       FROM "${schema}"."work" WHERE queue = $1 ORDER BY seq`,
      queue,
    );

  const ready = (async () => {
    await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await applyMigrations(prisma, { table });
  })();

  it('every field survives the joined columns, in publish order, NULLs as NULLs', async () => {
    await ready;
    const sent: string[] = [];
    const queue = createPrismaQueue({
      prisma: recording(sent),
      dialect: 'postgresql',
      table,
      logger: silent,
    });
    const tricky = {
      quotes: 'a "quoted" \\ backslash\nnewline\ttab',
      markers: '\u001e\u001f inside a JSON string',
      unicode: 'ünï 🦊 ∑',
      nested: [{ x: null }, [1, 2.5, -3e-7], true],
    };
    const { ids } = await queue.publish('joined', [
      { type: 'plain', payload: 1 },
      {
        type: 'full',
        payload: tricky,
        headers: { tenant: 'a"b', empty: '' },
        partitionKey: 'key "1"',
        priority: 7,
        maxAttempts: 3,
        delayMs: 60_000,
      },
      { type: 'string', payload: '' },
      { type: 'null', payload: null, priority: -2 },
    ]);
    expect(sent.at(-1)).toContain('string_to_array');
    expect(sent.at(-1)).not.toContain('json_to_recordset');
    expect(await rowsOf('joined')).toEqual([
      {
        id: ids[0],
        type: 'plain',
        payload: '1',
        headers: null,
        partition_key: null,
        priority: 0,
        max_attempts: null,
        delay_ms: 0,
      },
      {
        id: ids[1],
        type: 'full',
        payload: JSON.stringify(tricky),
        headers: JSON.stringify({ tenant: 'a"b', empty: '' }),
        partition_key: 'key "1"',
        priority: 7,
        max_attempts: 3,
        delay_ms: 60_000,
      },
      {
        id: ids[2],
        type: 'string',
        payload: '""',
        headers: null,
        partition_key: null,
        priority: 0,
        max_attempts: null,
        delay_ms: 0,
      },
      {
        id: ids[3],
        type: 'null',
        payload: 'null',
        headers: null,
        partition_key: null,
        priority: -2,
        max_attempts: null,
        delay_ms: 0,
      },
    ]);
    await queue.close();
  });

  it('a value holding a marker, or an empty one, sends the batch as JSON, stored exactly', async () => {
    await ready;
    const sent: string[] = [];
    const raw = {
      name: 'raw',
      serialize: (p: unknown) => String(p),
      deserialize: (s: string) => s,
    };
    const queue = createPrismaQueue({
      prisma: recording(sent),
      dialect: 'postgresql',
      table,
      logger: silent,
      serializer: raw,
    });
    await queue.publish('json', [
      { type: 't', payload: 'a\u001eb' },
      { type: 't', payload: 'c\u001fd', partitionKey: 'k' },
    ]);
    expect(sent.at(-1)).toContain('json_to_recordset');
    await queue.publish('json', { type: 't', payload: '' });
    expect(sent.at(-1)).toContain('json_to_recordset');
    await queue.publish('json', { type: 't', payload: 'plain' });
    expect(sent.at(-1)).toContain('string_to_array');
    expect((await rowsOf('json')).map((r) => [r.payload, r.partition_key])).toEqual([
      ['a\u001eb', null],
      ['c\u001fd', 'k'],
      ['', null],
      ['plain', null],
    ]);
    await queue.close();
  });

  it('generated ids skip the deduplication check; given ids and a custom generateId keep it', async () => {
    await ready;
    const sent: string[] = [];
    const published: string[][] = [];
    const lifecycle = {
      name: 'record',
      onEvent(e: LifecycleEvent) {
        if (e.type === 'published') published.push(e.messages.map((m) => m.id));
      },
    };
    const queue = createPrismaQueue({
      prisma: recording(sent),
      dialect: 'postgresql',
      table,
      logger: silent,
      lifecycle,
    });
    const fresh = await queue.publish('dedupe', [
      { type: 't', payload: 1 },
      { type: 't', payload: 2 },
    ]);
    expect(sent.at(-1)).not.toContain('ON CONFLICT');
    expect(published.at(-1)).toEqual(fresh.ids);

    await queue.publish('dedupe', [{ id: 'given', type: 't', payload: 3 }]);
    expect(sent.at(-1)).toContain('ON CONFLICT');
    await queue.publish('dedupe', [
      { id: 'given', type: 't', payload: 4 },
      { type: 't', payload: 5 },
    ]);
    expect(sent.at(-1)).toContain('ON CONFLICT');
    expect(published.at(-1)).toHaveLength(1);

    let n = 0;
    const custom = createPrismaQueue({
      prisma: recording(sent),
      dialect: 'postgresql',
      table,
      logger: silent,
      generateId: () => `custom-${n++ % 2}`,
    });
    await custom.publish('dedupe', [{ type: 't', payload: 6 }]);
    await custom.publish('dedupe', [{ type: 't', payload: 7 }]);
    await custom.publish('dedupe', [{ type: 't', payload: 8 }]);
    expect(sent.at(-1)).toContain('ON CONFLICT');
    expect((await rowsOf('dedupe')).map((r) => r.payload)).toEqual(['1', '2', '3', '5', '6', '7']);
    await queue.close();
    await custom.close();
  });
});

import { ConfigurationError, ValidationError } from '@mqkit/core';
import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  createPrismaQueue,
  migrationStatements,
  type PrismaClientLike,
} from '../src/index.js';

// A client that fails the test on any I/O: every case here must throw before touching it.
const noIoClient = {
  _activeProvider: 'postgresql',
  $queryRawUnsafe: () => {
    throw new Error('I/O happened');
  },
  $executeRawUnsafe: () => {
    throw new Error('I/O happened');
  },
  $transaction: () => {
    throw new Error('I/O happened');
  },
};
const withProvider = (provider: string | undefined) =>
  ({ ...noIoClient, _activeProvider: provider }) as unknown as PrismaClientLike;
const noIo = withProvider('postgresql');

describe('createPrismaQueue options are validated before any I/O', () => {
  it('requires a PrismaClient', () => {
    expect(() => createPrismaQueue({} as never)).toThrow(ConfigurationError);
    expect(() => createPrismaQueue({} as never)).toThrow(/option "prisma" is required/);
  });

  it('reads the dialect from the client and asks for it when the client does not tell', () => {
    expect(createPrismaQueue({ prisma: noIo }).dialect).toBe('postgresql');
    expect(createPrismaQueue({ prisma: withProvider('mysql') }).dialect).toBe('mysql');
    const anonymous = withProvider(undefined);
    expect(() => createPrismaQueue({ prisma: anonymous })).toThrow(/pass option "dialect"/);
    expect(createPrismaQueue({ prisma: anonymous, dialect: 'mysql' }).dialect).toBe('mysql');
    expect(() => createPrismaQueue({ prisma: noIo, dialect: 'sqlite' as never })).toThrow(
      ConfigurationError,
    );
  });

  it.each([
    'mqkit; DROP TABLE users',
    'mqkit"messages',
    'mqkit`messages',
    "mqkit'messages",
    'a.b.c',
    '1table',
    '',
    'x'.repeat(41),
    'public.',
  ])('rejects the table name %j (no SQL through names)', (table) => {
    expect(() => createPrismaQueue({ prisma: noIo, table })).toThrow(ConfigurationError);
    expect(() => createPrismaQueue({ prisma: noIo, deadLetterTable: table })).toThrow(
      /deadLetterTable/,
    );
  });

  it('accepts schema-qualified table names and derives the dead-letter table', () => {
    const queue = createPrismaQueue({ prisma: noIo, table: 'jobs.work_items' });
    expect(queue.tables).toEqual({
      messages: 'jobs.work_items',
      deadLetters: 'jobs.work_items_dead_letters',
    });
  });

  it('rejects listen on MySQL, a malformed listen, and a typo in an option name', () => {
    expect(() =>
      createPrismaQueue({
        prisma: withProvider('mysql'),
        listen: { connectionString: 'postgresql://x' },
      }),
    ).toThrow(/needs PostgreSQL/);
    expect(() => createPrismaQueue({ prisma: noIo, listen: {} as never })).toThrow(/listen/);
    expect(() => createPrismaQueue({ prisma: noIo, tabel: 'x' } as never)).toThrow(/table/);
  });

  it('consumerSynchronousCommit must be a boolean', () => {
    expect(() =>
      createPrismaQueue({ prisma: noIo, consumerSynchronousCommit: 'yes' as never }),
    ).toThrow(/consumerSynchronousCommit.*true or false/);
    expect(() =>
      createPrismaQueue({ prisma: noIo, consumerSynchronousCommit: true }),
    ).not.toThrow();
  });

  it('a generateId that returns no string fails publish before any I/O', async () => {
    const queue = createPrismaQueue({ prisma: noIo, generateId: () => '' });
    await expect(queue.publish('q', { type: 't', payload: 1 })).rejects.toThrow(/generateId/);
  });

  it('bad queue names and bad messages fail before any I/O', async () => {
    const queue = createPrismaQueue({ prisma: noIo });
    await expect(queue.publish("q'; --", { type: 't', payload: 1 })).rejects.toThrow(
      ValidationError,
    );
    await expect(queue.publish('q', { type: '', payload: 1 })).rejects.toThrow(ValidationError);
  });

  it('applyMigrations validates names before any I/O', async () => {
    await expect(applyMigrations(noIo, { table: 'x; DROP' })).rejects.toThrow(ConfigurationError);
  });
});

describe('migrations', () => {
  it('substitute configured names for tables, indexes and the claim function', async () => {
    const sql = (await migrationStatements('postgresql', '001_init.sql', 'jobs.work')).join('\n');
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "jobs"."work" (');
    expect(sql).toContain('CREATE INDEX IF NOT EXISTS "work_claim_idx"');
    expect(sql).toContain('FUNCTION "jobs"."work_claim"(');
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "jobs"."work_dead_letters" (');
    expect(sql).not.toContain('mqkit_messages');
    const mysql = (await migrationStatements('mysql', '001_init.sql', 'work')).join('\n');
    expect(mysql).toContain('CREATE TABLE IF NOT EXISTS `work` (');
    expect(mysql).toContain('KEY `work_claim_idx`');
    expect(mysql).not.toContain('mqkit_messages');
  });

  it('002 adds effective_max_attempts to the configured dead-letter table', async () => {
    const file = '002_dead_letter_effective_max_attempts.sql';
    expect(await migrationStatements('postgresql', file, 'jobs.work')).toEqual([
      'ALTER TABLE "jobs"."work_dead_letters" ADD COLUMN IF NOT EXISTS "effective_max_attempts" integer',
    ]);
    expect(await migrationStatements('mysql', file, 'work', 'dead')).toEqual([
      'ALTER TABLE `dead` ADD COLUMN IF NOT EXISTS `effective_max_attempts` int',
    ]);
  });
});

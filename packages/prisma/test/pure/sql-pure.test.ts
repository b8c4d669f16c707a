// The SQL provider's pure parts, without a database: table-name validation and quoting, and the
// guard that turns whatever a driver throws into a BackendError.
import { BackendError, ConfigurationError, ValidationError } from '@mqkit/core';
import { describe, expect, it } from 'vitest';
import { createPrismaBackend } from '../../src/consumer/backend.js';
import { guardStore } from '../../src/sql/guard.js';
import {
  assertTableName,
  assertTableNames,
  quoteName,
  tablesFor,
} from '../../src/sql/identifiers.js';
import { isMissingSchemaError } from '../../src/sql/missing-schema.js';
import { joinedColumns } from '../../src/sql/pg-insert.js';
import type { InsertRow, SqlStore } from '../../src/sql/store.js';

describe('table names', () => {
  it('accepts identifiers, optionally schema-qualified, up to the length limits', () => {
    for (const name of [
      't',
      '_t9',
      'mqkit_messages',
      'jobs.mqkit',
      `${'s'.repeat(63)}.${'t'.repeat(40)}`,
    ])
      expect(assertTableName(name, 'table', 'prisma')).toBe(name);
  });
  it('rejects anything that could carry SQL, junk at either end, and over-long names', () => {
    for (const name of [
      '',
      '9t',
      't-x',
      't x',
      't;drop',
      ' t',
      't ',
      't\n',
      'a.b.c',
      '.t',
      't.',
      't'.repeat(41),
      `${'s'.repeat(64)}.t`,
      '"t"',
    ])
      expect(() => assertTableName(name, 'table', 'prisma')).toThrow(ConfigurationError);
  });
  it('names the option and what it got', () => {
    expect(() => assertTableName('a b', 'deadLetterTable', 'prisma')).toThrow(
      '[@mqkit/prisma] option "deadLetterTable" must be a table name of letters, digits and "_" (at most 40 characters, optionally prefixed by "schema.") (got "a b")',
    );
    expect(() => assertTableName(3, 'table', 'prisma')).toThrow('(got number)');
    expect(() => assertTableName(`-${'x'.repeat(99)}`, 'table', 'prisma')).toThrow(
      `(got "-${'x'.repeat(79)}")`,
    );
    try {
      assertTableName('-', 'table', 'prisma');
    } catch (error) {
      expect((error as ConfigurationError).field).toBe('table');
    }
  });
  it('quotes each part for its dialect', () => {
    expect(quoteName('jobs.q', 'postgresql')).toBe('"jobs"."q"');
    expect(quoteName('q', 'mysql')).toBe('`q`');
    expect(quoteName('a.b', 'mysql')).toBe('`a`.`b`');
  });
  it('derives quoted names and bare base names', () => {
    expect(tablesFor('jobs.m', 'jobs.d', 'postgresql')).toEqual({
      messagesName: 'jobs.m',
      deadLettersName: 'jobs.d',
      messages: '"jobs"."m"',
      deadLetters: '"jobs"."d"',
      messagesBase: 'm',
      deadLettersBase: 'd',
    });
    expect(tablesFor('m', 'm_dead', 'mysql')).toMatchObject({
      messagesBase: 'm',
      deadLettersBase: 'm_dead',
    });
  });
});

describe('isMissingSchemaError', () => {
  const adapter = (cause: Record<string, unknown>) => ({ meta: { driverAdapterError: { cause } } });
  it('recognises the driver adapter kind and original code', () => {
    for (const kind of ['TableDoesNotExist', 'ColumnNotFound'])
      expect(isMissingSchemaError(adapter({ kind }))).toBe(true);
    for (const originalCode of ['42P01', '42703', '3F000', '1146', '1054', '1049'])
      expect(isMissingSchemaError(adapter({ originalCode }))).toBe(true);
    expect(isMissingSchemaError(adapter({ kind: 'UniqueConstraintViolation' }))).toBe(false);
    expect(isMissingSchemaError(adapter({ originalCode: '23505' }))).toBe(false);
    expect(isMissingSchemaError(adapter({ kind: 1146, originalCode: 42703 }))).toBe(false);
  });
  it('falls back to PostgreSQL and MySQL/MariaDB wordings and codes in the message', () => {
    for (const error of [
      new Error('relation "x" does not exist'),
      new Error("Table 'test.x' doesn't exist"),
      new Error('UNKNOWN COLUMN "y"'),
      new Error('error 42P01'),
      new Error('error 42703'),
      new Error('errno 1146'),
      new Error('errno 1054'),
      'relation does not exist',
    ])
      expect(isMissingSchemaError(error)).toBe(true);
  });
  it('is false for other errors and for codes inside other numbers', () => {
    for (const error of [
      new Error('connection refused'),
      new Error('code 242P011'),
      new Error('errno 11460'),
      null,
      undefined,
      { meta: {} },
    ])
      expect(isMissingSchemaError(error)).toBe(false);
  });
});

describe('guardStore', () => {
  const tables = tablesFor('m', 'd', 'postgresql');
  const operations: [keyof SqlStore, string][] = [
    ['insert', 'publish'],
    ['claim', 'claim'],
    ['extend', 'extend leases'],
    ['ack', 'ack'],
    ['retry', 'retry'],
    ['release', 'release'],
    ['deadLetter', 'dead-letter'],
    ['listDeadLetters', 'list dead letters'],
    ['countDeadLetters', 'count dead letters'],
    ['replayDeadLetters', 'replay dead letters'],
    ['purgeDeadLetters', 'purge dead letters'],
  ];
  const failing = (error: unknown): SqlStore =>
    Object.fromEntries(
      operations.map(([method]) => [method, () => Promise.reject(error)]),
    ) as unknown as SqlStore;

  it('wraps every statement: BackendError naming the operation, cause kept, secret redacted', async () => {
    const cause = new Error('connect postgresql://u:pw@h/db refused');
    const store = guardStore(failing(cause), 'prisma', tables);
    for (const [method, operation] of operations) {
      const call = (store[method] as (...a: unknown[]) => Promise<unknown>)('q', [], false, false);
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toBe(
        `[@mqkit/prisma] ${operation} failed: connect postgresql://u:***@h/db refused`,
      );
      expect((error as Error).cause).toBe(cause);
    }
  });
  it('adds the migrations hint when a table is missing', async () => {
    const store = guardStore(failing(new Error('relation "m" does not exist')), 'prisma', tables);
    await expect(store.countDeadLetters('q')).rejects.toThrow(
      '[@mqkit/prisma] count dead letters failed: relation "m" does not exist; the tables "m" / "d" do not exist: run applyMigrations(prisma) or the SQL files in @mqkit/prisma/migrations',
    );
  });
  it('passes results through and lets typed errors through unchanged', async () => {
    const typed = new ValidationError('bad');
    const store = guardStore(
      {
        ...failing(typed),
        countDeadLetters: async (queue: string) => queue.length,
      } as SqlStore,
      'prisma',
      tables,
    );
    await expect(store.countDeadLetters('abc')).resolves.toBe(3);
    await expect(store.ack('q', [])).rejects.toBe(typed);
  });
  it('passes every argument to the wrapped statement', async () => {
    const seen: unknown[][] = [];
    const recording = Object.fromEntries(
      operations.map(([method]) => [
        method,
        async (...args: unknown[]) => {
          seen.push([method, ...args]);
          return method;
        },
      ]),
    ) as unknown as SqlStore;
    const store = guardStore(recording, 'prisma', tables);
    for (const [method] of operations)
      await expect(
        (store[method] as (...a: unknown[]) => Promise<unknown>)('q', 1, 2, 3),
      ).resolves.toBe(method);
    expect(seen).toEqual(operations.map(([method]) => [method, 'q', 1, 2, 3]));
  });
});

describe('assertTableNames (the table pair of one deployment)', () => {
  it('defaults to mqkit_messages and <table>_dead_letters', () => {
    expect(assertTableNames(undefined, undefined, 'prisma')).toEqual({
      table: 'mqkit_messages',
      deadLetterTable: 'mqkit_messages_dead_letters',
    });
    expect(assertTableNames('jobs.q', undefined, 'prisma')).toEqual({
      table: 'jobs.q',
      deadLetterTable: 'jobs.q_dead_letters',
    });
    expect(assertTableNames('a', 'b', 'prisma')).toEqual({ table: 'a', deadLetterTable: 'b' });
  });
  it('names the offending option; one table cannot serve both', () => {
    const fails = (run: () => unknown): ConfigurationError => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return error as ConfigurationError;
      }
      throw new Error('accepted');
    };
    expect(fails(() => assertTableNames('bad-name', undefined, 'prisma')).field).toBe('table');
    expect(fails(() => assertTableNames('ok', 'bad name', 'prisma')).field).toBe('deadLetterTable');
    const same = fails(() => assertTableNames('q', 'q', 'prisma'));
    expect(same.field).toBe('deadLetterTable');
    expect(same.message).toBe('[@mqkit/prisma] option "deadLetterTable" must differ from "table"');
  });
  it('rejects a non-string table name, saying what it got', () => {
    expect(() => assertTableName(5, 'table', 'prisma')).toThrow(/\(got number\)$/);
    expect(() => assertTableName('a;drop', 'table', 'prisma')).toThrow(/\(got "a;drop"\)$/);
  });
  it('doubles a quote character inside a name part, for both dialects', () => {
    expect(quoteName('a"b', 'postgresql')).toBe('"a""b"');
    expect(quoteName('s.a`b', 'mysql')).toBe('`s`.`a``b`');
  });
});

describe('claimed rows', () => {
  const row = (id: string, priority: number, runAt: number, seq: number) => ({
    id,
    type: 't',
    payload: '{}',
    headers: null,
    partition_key: null,
    priority,
    attempt: 1,
    max_attempts: null,
    created_at: runAt - 5,
    run_at: runAt,
    seq,
  });
  const backendReturning = (rows: ReturnType<typeof row>[]) =>
    createPrismaBackend({
      store: { claim: async () => rows.map((r) => ({ ...r })) } as unknown as SqlStore,
      storedQueue: 'q',
      defaultMaxAttempts: 7,
      wait: async () => {},
    });

  it('come back in claim order (priority, due time, publish order) whatever order the driver returns', async () => {
    const t = 1_764_650_000_000;
    const inOrder = [
      row('a', 5, t + 9, 9),
      row('b', 0, t, 3),
      row('c', 0, t, 4),
      row('d', 0, t + 1, 1),
    ];
    for (const shuffled of [
      [3, 2, 1, 0],
      [1, 0, 3, 2],
      [0, 2, 1, 3],
      [2, 3, 0, 1],
    ]) {
      const claims = await backendReturning(
        shuffled.map((i) => inOrder[i] as ReturnType<typeof row>),
      ).claim(4, 1_000);
      expect(claims.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
    }
  });

  it('carry one token per claim, epoch-millisecond times as Dates and the default maxAttempts', async () => {
    const t = 1_764_650_000_123;
    const backend = backendReturning([row('a', 0, t, 1), row('b', 0, t, 2)]);
    const first = await backend.claim(2, 1_000);
    const second = await backend.claim(2, 1_000);
    expect(first.map((c) => c.token)).toEqual([first[0]?.token, first[0]?.token]);
    expect(second[0]?.token).not.toBe(first[0]?.token);
    expect(first[0]).toMatchObject({
      id: 'a',
      attempt: 1,
      maxAttempts: 7,
      priority: 0,
      headers: {},
    });
    expect(first[0]?.runAt).toEqual(new Date(t));
    expect(first[0]?.createdAt).toEqual(new Date(t - 5));
  });
});

describe('joinedColumns (PostgreSQL publish encoding)', () => {
  const row = (over: Partial<InsertRow> = {}): InsertRow => ({
    id: 'a',
    type: 't',
    payload: '{}',
    headers: null,
    partitionKey: null,
    priority: 0,
    maxAttempts: null,
    delayMs: 0,
    ...over,
  });

  it('joins each column with U+001E, NULL as U+001F; all-default optional columns go empty', () => {
    expect(joinedColumns([row(), row({ id: 'b', payload: '"x"' })])).toEqual([
      'a\u001eb',
      't\u001et',
      '{}\u001e"x"',
      '',
      '',
      '',
      '',
      '',
    ]);
    expect(
      joinedColumns([row({ headers: '{"h":"1"}', priority: 2, delayMs: 1.6 }), row({ id: 'b' })]),
    ).toEqual([
      'a\u001eb',
      't\u001et',
      '{}\u001e{}',
      '{"h":"1"}\u001e\u001f',
      '',
      '2\u001e0',
      '',
      '2\u001e0',
    ]);
  });

  it('gives up (the batch goes as JSON) on a marker character or an empty text in a value', () => {
    expect(joinedColumns([row({ payload: 'a\u001eb' })])).toBeUndefined();
    expect(joinedColumns([row({ partitionKey: 'k\u001f' })])).toBeUndefined();
    expect(joinedColumns([row({ payload: '' })])).toBeUndefined();
    expect(joinedColumns([row({ headers: '' })])).toBeUndefined();
  });
});

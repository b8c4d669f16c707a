import { ConfigurationError } from '@mqkit/core';
import { toBackendError, withBackendErrors } from '@mqkit/core/provider';
import type { PrismaDialect, PrismaRawClient } from './client.js';
import { applyMigrations } from './migrations.js';
import { quoteName, type Tables } from './sql/identifiers.js';
import { isMissingSchemaError } from './sql/missing-schema.js';

// The columns the current migrations create (001 to 003; 004 adds PostgreSQL functions only): a table created by an older release
// fails the check too, and the message says which migration to apply.
const MESSAGE_COLUMNS = [
  'queue',
  'id',
  'type',
  'payload',
  'headers',
  'partition_key',
  'priority',
  'attempt',
  'max_attempts',
  'created_at',
  'run_at',
  'lease_token',
  'lease_until',
  'last_error',
  'seq',
] as const;
const DEAD_LETTER_COLUMNS = ['queue', 'id', 'type', 'payload', 'effective_max_attempts'] as const;

/** How to create the tables, for the error {@link checkTables} throws. */
export function missingTablesMessage(tables: Tables, dialect: PrismaDialect): string {
  return (
    `[@mqkit/prisma] init(): table ${tables.messagesName} or ${tables.deadLettersName} is missing or out of date. ` +
    'Create them with one of: `await applyMigrations(prisma)` from @mqkit/prisma; ' +
    '`createPrismaQueue({ …, applyMigrations: true })`; ' +
    `or the SQL files in node_modules/@mqkit/prisma/migrations/${dialect}/ applied in order ` +
    '(e.g. pasted into a `prisma migrate dev --create-only` migration). ' +
    'See https://github.com/mqkit/mqkit/blob/main/docs/providers/prisma.md'
  );
}

/**
 * Checks that both tables exist with every column the current migrations create, with two
 * zero-row queries. Throws {@link ConfigurationError} (field `table`) naming the fix when they
 * do not, `BackendError` when the database cannot be reached.
 */
export async function checkTables(
  prisma: PrismaRawClient,
  tables: Tables,
  dialect: PrismaDialect,
): Promise<void> {
  const q = dialect === 'postgresql' ? '"' : '`';
  const select = (columns: readonly string[], table: string): string =>
    `SELECT ${columns.map((c) => `${q}${c}${q}`).join(', ')} FROM ${table} WHERE 1 = 0`;
  try {
    await prisma.$queryRawUnsafe(select(MESSAGE_COLUMNS, tables.messages));
    await prisma.$queryRawUnsafe(select(DEAD_LETTER_COLUMNS, tables.deadLetters));
    // PostgreSQL acknowledges through migration 004's function: a `::regprocedure` cast of a
    // missing one fails with 42883, the missing-schema path below.
    if (dialect === 'postgresql')
      await prisma.$queryRawUnsafe(
        `SELECT $1::regprocedure::text AS fn`,
        `${quoteName(`${tables.messagesName}_ack`, 'postgresql')}(text, text[], text[])`,
      );
  } catch (error) {
    if (isMissingSchemaError(error)) {
      throw new ConfigurationError('table', missingTablesMessage(tables, dialect), {
        cause: error,
      });
    }
    throw toBackendError('prisma', 'init() (checking the tables)', error);
  }
}

/**
 * The queue's `init()`: applies the migrations first when `migrate` is set (idempotent), then
 * {@link checkTables}. Concurrent calls share one run; a failed run is retried by the next call.
 */
export function createInit(params: {
  prisma: PrismaRawClient;
  tables: Tables;
  dialect: PrismaDialect;
  migrate: boolean;
}): () => Promise<void> {
  const { prisma, tables, dialect, migrate } = params;
  let running: Promise<void> | undefined;
  let done = false;
  return async () => {
    if (done) return;
    running ??= (async () => {
      if (migrate) {
        await withBackendErrors('prisma', 'init() (applying the migrations)', () =>
          applyMigrations(prisma, {
            dialect,
            table: tables.messagesName,
            deadLetterTable: tables.deadLettersName,
          }),
        );
      }
      await checkTables(prisma, tables, dialect);
      done = true;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
}

/** Validates the `applyMigrations` option (a boolean, default false). */
export function resolveApplyMigrations(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new ConfigurationError(
      'applyMigrations',
      `[@mqkit/prisma] option "applyMigrations" must be a boolean (got ${typeof value})`,
    );
  }
  return value;
}

import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '@mqkit/core';
import { detectDialect, type PrismaDialect, type PrismaRawClient } from './client.js';
import { assertTableName, DEFAULT_TABLE, quoteName, tablesFor } from './sql/identifiers.js';

/** Options of {@link applyMigrations}. */
export interface ApplyMigrationsOptions {
  /** Default: read from the client; required when it does not tell. */
  dialect?: PrismaDialect;
  /** Table of live messages. Default `mqkit_messages`. */
  table?: string;
  /** Table of dead letters. Default `<table>_dead_letters`. */
  deadLetterTable?: string;
}

/** The numbered migrations shipped in `migrations/<dialect>/`, in order. */
export const MIGRATIONS = ['001_init.sql', '002_dead_letter_effective_max_attempts.sql'] as const;

// MySQL 8 has no `ADD COLUMN IF NOT EXISTS` (MariaDB has): applyMigrations runs those statements
// without it and treats "duplicate column" (error 1060) as already applied, on both.
const ADD_COLUMN_IF_NOT_EXISTS = /\bADD COLUMN IF NOT EXISTS\b/i;

function isDuplicateColumn(error: unknown): boolean {
  const e = error as { message?: unknown; meta?: unknown } | null;
  const text = `${typeof e?.message === 'string' ? e.message : String(error)} ${JSON.stringify(e?.meta ?? null)}`;
  return /\b1060\b|Duplicate column name/i.test(text);
}

/**
 * Reads a shipped migration with the default table names replaced by `table`/`deadLetterTable`
 * (index and constraint names follow the table name). Returns the SQL statements in order.
 */
export async function migrationStatements(
  dialect: PrismaDialect,
  file: (typeof MIGRATIONS)[number],
  table = DEFAULT_TABLE,
  deadLetterTable = `${table}_dead_letters`,
): Promise<string[]> {
  const tables = tablesFor(table, deadLetterTable, dialect);
  const text = await readFile(new URL(`../migrations/${dialect}/${file}`, import.meta.url), 'utf8');
  const substituted = text.replace(
    /(["`])(mqkit_messages(?:_dead_letters)?)((?:_[a-z]+)*)\1/g,
    (_match, _quote: string, name: string, suffix: string) => {
      const dead = name === 'mqkit_messages_dead_letters';
      if (suffix === '') return dead ? tables.deadLetters : tables.messages;
      // Functions live beside their table (schema-qualified); index and constraint names
      // cannot be qualified and follow the bare table name.
      if (suffix === '_claim') return quoteName(`${tables.messagesName}${suffix}`, dialect);
      return quoteName(`${dead ? tables.deadLettersBase : tables.messagesBase}${suffix}`, dialect);
    },
  );
  return substituted
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Creates the tables and indexes @mqkit/prisma needs through your PrismaClient. Idempotent
 * (`IF NOT EXISTS`): safe on every start-up. Throws {@link ConfigurationError} for a bad table
 * name or unknown dialect before any I/O; SQL errors (e.g. missing privileges) reject as-is.
 */
export async function applyMigrations(
  prisma: PrismaRawClient,
  options: ApplyMigrationsOptions = {},
): Promise<void> {
  const dialect = options.dialect ?? detectDialect(prisma);
  if (dialect !== 'postgresql' && dialect !== 'mysql') {
    throw new ConfigurationError(
      'dialect',
      '[@mqkit/prisma] applyMigrations: pass option "dialect" ("postgresql" or "mysql")',
    );
  }
  const table = assertTableName(options.table ?? DEFAULT_TABLE, 'table', 'prisma');
  const deadLetterTable =
    options.deadLetterTable === undefined
      ? `${table}_dead_letters`
      : assertTableName(options.deadLetterTable, 'deadLetterTable', 'prisma');
  for (const file of MIGRATIONS) {
    for (const statement of await migrationStatements(dialect, file, table, deadLetterTable)) {
      if (dialect === 'mysql' && ADD_COLUMN_IF_NOT_EXISTS.test(statement)) {
        try {
          await prisma.$executeRawUnsafe(statement.replace(ADD_COLUMN_IF_NOT_EXISTS, 'ADD COLUMN'));
        } catch (error) {
          if (!isDuplicateColumn(error)) throw error;
        }
        continue;
      }
      await prisma.$executeRawUnsafe(statement);
    }
  }
}

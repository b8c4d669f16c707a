import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '@mqkit/core';
import {
  detectDialect,
  type PrismaClientLike,
  type PrismaDialect,
  type PrismaRawClient,
} from './client.js';
import { assertTableNames, quoteName, type Tables, tablesFor } from './sql/identifiers.js';

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
export const MIGRATIONS = [
  '001_init.sql',
  '002_dead_letter_effective_max_attempts.sql',
  '003_publish_order_and_keys.sql',
  '004_claim_plan.sql',
] as const;

/** One of the shipped migration files, {@link MIGRATIONS}. */
export type MigrationFile = (typeof MIGRATIONS)[number];

// Objects that live beside their table (schema-qualified); index and constraint names cannot be
// qualified and follow the bare table name.
const QUALIFIED_SUFFIXES = new Set(['_claim', '_claim_in_order', '_seq', '_ack']);

/** The advisory lock (PostgreSQL) / named lock (MySQL) that serialises applyMigrations callers. */
const LOCK_NAME = 'mqkit:prisma:migrations';
const LOCK_TIMEOUT_S = 60;

// MySQL 8 has neither `ADD COLUMN IF NOT EXISTS` nor `ADD/DROP INDEX IF [NOT] EXISTS` (MariaDB
// has): applyMigrations runs those ALTERs without the guards and treats "duplicate column"
// (1060), "duplicate key name" (1061) and "can't drop; check that it exists" (1091) as already
// applied. A multi-clause ALTER is atomic, so "already applied" means every clause was.
const IF_GUARD = /\s+IF (?:NOT )?EXISTS\b/i;
const IF_GUARDS = /\s+IF (?:NOT )?EXISTS\b/gi;

function isAlreadyApplied(error: unknown): boolean {
  const e = error as { message?: unknown; meta?: unknown } | null;
  const text = `${typeof e?.message === 'string' ? e.message : String(error)} ${JSON.stringify(e?.meta ?? null)}`;
  return /\b(?:1060|1061|1091)\b|Duplicate column name|Duplicate key name|check that (?:column\/key|it) exists/i.test(
    text,
  );
}

function assertDialect(dialect: unknown, fn: string): PrismaDialect {
  if (dialect !== 'postgresql' && dialect !== 'mysql') {
    throw new ConfigurationError(
      'dialect',
      `[@mqkit/prisma] ${fn}: pass "dialect" as "postgresql" or "mysql" (MariaDB is "mysql") (got ${typeof dialect === 'string' ? JSON.stringify(dialect.slice(0, 80)) : typeof dialect})`,
    );
  }
  return dialect;
}

/** Splits a script on `;` at line ends, keeping `$$ … $$` bodies (PL/pgSQL blocks) whole. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (const piece of script.split(/;\s*(?:\n|$)/)) {
    current = current === '' ? piece : `${current};\n${piece}`;
    if ((current.match(/\$\$/g)?.length ?? 0) % 2 === 1) continue;
    const statement = current.trim();
    if (statement.length > 0) statements.push(statement);
    current = '';
  }
  const rest = current.trim();
  if (rest.length > 0) statements.push(rest);
  return statements;
}

/**
 * Reads a shipped migration with the default table names replaced by `table`/`deadLetterTable`
 * (index and constraint names follow the table name). Returns the SQL statements in order.
 * Throws {@link ConfigurationError} before reading anything for an unknown dialect or file, or a
 * table name that is not letters, digits and `_` (optionally `schema.`), as createPrismaQueue does.
 */
export async function migrationStatements(
  dialect: PrismaDialect,
  file: MigrationFile,
  table?: string,
  deadLetterTable?: string,
): Promise<string[]> {
  const d = assertDialect(dialect, 'migrationStatements');
  if (!(MIGRATIONS as readonly unknown[]).includes(file)) {
    throw new ConfigurationError(
      'file',
      `[@mqkit/prisma] migrationStatements: "file" must be one of ${MIGRATIONS.join(', ')} (got ${typeof file === 'string' ? JSON.stringify(String(file).slice(0, 80)) : typeof file})`,
    );
  }
  const names = assertTableNames(table, deadLetterTable, 'prisma');
  const tables = tablesFor(names.table, names.deadLetterTable, d);
  const text = await readFile(new URL(`../migrations/${d}/${file}`, import.meta.url), 'utf8');
  const substituted = text.replace(
    /(["`])(mqkit_messages(?:_dead_letters)?)((?:_[a-z]+)*)\1/g,
    (_match, _quote: string, name: string, suffix: string) => {
      const dead = name === 'mqkit_messages_dead_letters';
      if (suffix === '') return dead ? tables.deadLetters : tables.messages;
      if (!dead && QUALIFIED_SUFFIXES.has(suffix))
        return quoteName(`${tables.messagesName}${suffix}`, d);
      return quoteName(`${dead ? tables.deadLettersBase : tables.messagesBase}${suffix}`, d);
    },
  );
  return splitStatements(
    substituted
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('--'))
      .join('\n'),
  );
}

/**
 * Creates or upgrades the tables, indexes and functions @mqkit/prisma needs through your
 * PrismaClient. Idempotent and safe when replicas start together: callers are serialised by an
 * advisory lock (PostgreSQL, where every migration also runs in one transaction) or `GET_LOCK`
 * (MySQL/MariaDB). Pass the PrismaClient (or a transaction client, whose connection then holds
 * the lock). Throws {@link ConfigurationError} for a bad table name or unknown dialect before any
 * I/O; SQL errors (e.g. missing privileges) reject as-is.
 */
export async function applyMigrations(
  prisma: PrismaRawClient | PrismaClientLike,
  options: ApplyMigrationsOptions = {},
): Promise<void> {
  const dialect = assertDialect(options.dialect ?? detectDialect(prisma), 'applyMigrations');
  const { table, deadLetterTable } = assertTableNames(
    options.table,
    options.deadLetterTable,
    'prisma',
  );
  const statements: string[] = [];
  for (const file of MIGRATIONS)
    statements.push(...(await migrationStatements(dialect, file, table, deadLetterTable)));
  const tables = tablesFor(table, deadLetterTable, dialect);
  const run = async (client: PrismaRawClient): Promise<void> => {
    if (dialect === 'postgresql') await runPostgres(client, tables, statements);
    else await runMysql(client, tables, statements);
  };
  const transaction = (prisma as Partial<PrismaClientLike>).$transaction;
  if (typeof transaction !== 'function') return run(prisma);
  // Up to date (the common start-up): no lock, no DDL, so running consumers are never blocked.
  if (await isCurrent(prisma, dialect, tables)) return;
  for (let attempt = 1; ; attempt++) {
    try {
      // A transaction pins one pooled connection: the lock and the statements share it.
      return await (prisma as PrismaClientLike).$transaction((tx) => run(tx), {
        maxWait: LOCK_TIMEOUT_S * 1_000,
        timeout: LOCK_TIMEOUT_S * 3 * 1_000,
      });
    } catch (error) {
      // DDL on tables in use can deadlock with running statements (PostgreSQL aborts one side):
      // the migration rolled back as a whole, so it is safe to run again.
      if (attempt >= 3 || !isDeadlock(error)) throw error;
    }
  }
}

/**
 * True when the objects of the last shipped migration exist, read from the catalog (a query
 * that never fails, so it may run inside the migration transaction). PostgreSQL applies every
 * file in one transaction, so its last object implies the rest.
 */
async function isCurrent(
  client: PrismaRawClient,
  dialect: PrismaDialect,
  tables: Tables,
): Promise<boolean> {
  const ok = (rows: { ok: unknown }[]) => rows[0]?.ok === true || Number(rows[0]?.ok) === 1;
  if (dialect === 'postgresql') {
    // $1 messages table, $2 dead-letter table (quoted), $3 the claim function (quoted; 004's is the
    // one with the join pinned), $4 the ack function (004's last object).
    const rows = await client.$queryRawUnsafe<{ ok: unknown }[]>(
      `SELECT (EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'seq' AND NOT attisdropped)
  AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'effective_max_attempts' AND NOT attisdropped)
  AND EXISTS (SELECT 1 FROM pg_proc WHERE oid = to_regproc($3) AND 'enable_hashjoin=off' = ANY (proconfig))
  AND to_regproc($4) IS NOT NULL) AS ok`,
      tables.messages,
      tables.deadLetters,
      quoteName(`${tables.messagesName}_claim_in_order`, 'postgresql'),
      quoteName(`${tables.messagesName}_ack`, 'postgresql'),
    );
    return ok(rows);
  }
  const schemaOf = (name: string) => (name.includes('.') ? name.slice(0, name.indexOf('.')) : null);
  // ? schema or NULL (current database), ? table, per probe.
  const column = `SELECT 1 FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND column_name = ?`;
  const index = `SELECT 1 FROM information_schema.statistics WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND index_name = ?`;
  const rows = await client.$queryRawUnsafe<{ ok: unknown }[]>(
    `SELECT (EXISTS (${column}) AND EXISTS (${column}) AND EXISTS (${index}) AND EXISTS (${index})) AS ok`,
    schemaOf(tables.messagesName),
    tables.messagesBase,
    'seq',
    schemaOf(tables.deadLettersName),
    tables.deadLettersBase,
    'effective_max_attempts',
    schemaOf(tables.messagesName),
    tables.messagesBase,
    `${tables.messagesBase}_order_idx`,
    schemaOf(tables.messagesName),
    tables.messagesBase,
    `${tables.messagesBase}_key_idx`,
  );
  return ok(rows);
}

function isDeadlock(error: unknown): boolean {
  const e = error as { message?: unknown; meta?: unknown } | null;
  const text = `${typeof e?.message === 'string' ? e.message : String(error)} ${JSON.stringify(e?.meta ?? null)}`;
  return /\b40P01\b|deadlock detected|\b1213\b/i.test(text);
}

async function runPostgres(
  client: PrismaRawClient,
  tables: Tables,
  statements: readonly string[],
): Promise<void> {
  // Released at commit. Without it, concurrent `CREATE OR REPLACE FUNCTION` fails with "tuple
  // concurrently updated" and concurrent `CREATE … IF NOT EXISTS` with duplicate-key errors.
  await client.$queryRawUnsafe(
    'SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext($1)::bigint)) AS s',
    LOCK_NAME,
  );
  // Another replica may have migrated while this one waited for the lock.
  if (await isCurrent(client, 'postgresql', tables)) return;
  for (const statement of statements) await client.$executeRawUnsafe(statement);
}

async function runMysql(
  client: PrismaRawClient,
  tables: Tables,
  statements: readonly string[],
): Promise<void> {
  // DDL commits implicitly in MySQL, so the lock is a session lock (GET_LOCK), released in finally.
  const got = await client.$queryRawUnsafe<{ ok: number | bigint | null }[]>(
    'SELECT GET_LOCK(?, ?) AS ok',
    LOCK_NAME,
    LOCK_TIMEOUT_S,
  );
  if (Number(got[0]?.ok ?? 0) !== 1) {
    throw new Error(
      `[@mqkit/prisma] applyMigrations: another caller held the migration lock "${LOCK_NAME}" for more than ${LOCK_TIMEOUT_S} s`,
    );
  }
  try {
    if (await isCurrent(client, 'mysql', tables)) return;
    for (const statement of statements) {
      if (/^ALTER TABLE\b/i.test(statement) && IF_GUARD.test(statement)) {
        try {
          await client.$executeRawUnsafe(statement);
        } catch (error) {
          // MySQL 8: the guards are a syntax error there; retry without them.
          if (!isSyntaxError(error)) throw error;
          try {
            await client.$executeRawUnsafe(statement.replace(IF_GUARDS, ''));
          } catch (inner) {
            if (!isAlreadyApplied(inner)) throw inner;
          }
        }
        continue;
      }
      await client.$executeRawUnsafe(statement);
    }
  } finally {
    await client.$queryRawUnsafe('SELECT RELEASE_LOCK(?) AS released', LOCK_NAME);
  }
}

function isSyntaxError(error: unknown): boolean {
  const e = error as { message?: unknown; meta?: unknown } | null;
  const text = `${typeof e?.message === 'string' ? e.message : String(error)} ${JSON.stringify(e?.meta ?? null)}`;
  return /\b1064\b|syntax/i.test(text);
}

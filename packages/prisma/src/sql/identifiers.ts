import { ConfigurationError } from '@mqkit/core';
import type { PrismaDialect } from '../client.js';

// Letters, digits and "_", optionally schema-qualified; short enough that every index name
// derived from it stays within PostgreSQL's 63-byte identifier limit.
const TABLE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** Table names of one queue deployment, validated and quoted for one dialect. */
export interface Tables {
  /** As configured (unquoted), e.g. `mqkit_messages` or `jobs.mqkit_messages`. */
  readonly messagesName: string;
  readonly deadLettersName: string;
  /** Quoted for SQL, e.g. `"jobs"."mqkit_messages"`. */
  readonly messages: string;
  readonly deadLetters: string;
  /** The bare table name (no schema), used to derive index and channel names. */
  readonly messagesBase: string;
  readonly deadLettersBase: string;
}

/** Default table of live messages. */
export const DEFAULT_TABLE = 'mqkit_messages';

/**
 * Validates a table name against a strict pattern (identifier characters only, so no SQL can be
 * smuggled through it) and throws {@link ConfigurationError} naming the option otherwise.
 */
export function assertTableName(value: unknown, field: string, provider: string): string {
  if (typeof value !== 'string' || !TABLE_NAME.test(value)) {
    throw new ConfigurationError(
      field,
      `[@mqkit/${provider}] option "${field}" must be a table name of letters, digits and "_" (at most 40 characters, optionally prefixed by "schema.") (got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value})`,
    );
  }
  return value;
}

/**
 * Quotes a validated (possibly schema-qualified) name for `dialect`. A quote character inside a
 * part is doubled, as both dialects require, so even an unvalidated part cannot end the
 * identifier early (validation stays the first line of defence).
 */
export function quoteName(name: string, dialect: PrismaDialect): string {
  const q = dialect === 'postgresql' ? '"' : '`';
  return name
    .split('.')
    .map((part) => `${q}${part.split(q).join(q + q)}${q}`)
    .join('.');
}

/**
 * Validates a pair of table names (dead letters default to `<table>_dead_letters`) and returns
 * them; throws {@link ConfigurationError} naming the option for a bad or identical pair.
 */
export function assertTableNames(
  table: unknown,
  deadLetterTable: unknown,
  provider: string,
): { table: string; deadLetterTable: string } {
  const messages = assertTableName(table ?? DEFAULT_TABLE, 'table', provider);
  const deadLetters =
    deadLetterTable === undefined
      ? `${messages}_dead_letters`
      : assertTableName(deadLetterTable, 'deadLetterTable', provider);
  if (deadLetters === messages)
    throw new ConfigurationError(
      'deadLetterTable',
      `[@mqkit/${provider}] option "deadLetterTable" must differ from "table"`,
    );
  return { table: messages, deadLetterTable: deadLetters };
}

/** Builds {@link Tables} from validated names. */
export function tablesFor(messages: string, deadLetters: string, dialect: PrismaDialect): Tables {
  return {
    messagesName: messages,
    deadLettersName: deadLetters,
    messages: quoteName(messages, dialect),
    deadLetters: quoteName(deadLetters, dialect),
    messagesBase: messages.slice(messages.lastIndexOf('.') + 1),
    deadLettersBase: deadLetters.slice(deadLetters.lastIndexOf('.') + 1),
  };
}

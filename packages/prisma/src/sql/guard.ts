import { withBackendErrors } from '@mqkit/core/provider';
import type { Tables } from './identifiers.js';
import { isMissingSchemaError } from './missing-schema.js';
import type { SqlStore } from './store.js';

/** The unquoted table names (as the user configured them), for messages. */
type TableNames = Pick<Tables, 'messagesName' | 'deadLettersName'>;

/** The hint a missing-table error gets: which tables, and how to create them. */
export const missingTableHint =
  (tables: TableNames) =>
  (error: unknown): string | undefined =>
    isMissingSchemaError(error)
      ? `the tables "${tables.messagesName}" / "${tables.deadLettersName}" do not exist: run applyMigrations(prisma) or the SQL files in @mqkit/prisma/migrations`
      : undefined;

/**
 * Wraps every statement of `store` so that a driver error (Prisma's, the adapter's, the
 * database's) leaves as a `BackendError`: cause kept, credentials redacted, and a hint to run the
 * migrations when a table is missing.
 */
export function guardStore(store: SqlStore, provider: string, tables: TableNames): SqlStore {
  const h = missingTableHint(tables);
  const g = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    withBackendErrors(provider, operation, run, h);
  return {
    insert: (...a) => g('publish', () => store.insert(...a)),
    claim: (...a) => g('claim', () => store.claim(...a)),
    extend: (...a) => g('extend leases', () => store.extend(...a)),
    ack: (...a) => g('ack', () => store.ack(...a)),
    retry: (...a) => g('retry', () => store.retry(...a)),
    release: (...a) => g('release', () => store.release(...a)),
    deadLetter: (...a) => g('dead-letter', () => store.deadLetter(...a)),
    listDeadLetters: (...a) => g('list dead letters', () => store.listDeadLetters(...a)),
    countDeadLetters: (...a) => g('count dead letters', () => store.countDeadLetters(...a)),
    replayDeadLetters: (...a) => g('replay dead letters', () => store.replayDeadLetters(...a)),
    purgeDeadLetters: (...a) => g('purge dead letters', () => store.purgeDeadLetters(...a)),
  };
}

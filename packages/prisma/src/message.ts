import type { Envelope } from '@mqkit/core/provider';
import type { MessageRow } from './sql/store.js';

/** A driver value as a Date (drivers return Date objects or ISO strings; some queries epoch ms). */
export const toDate = (value: Date | string | number): Date =>
  value instanceof Date ? value : new Date(value);

/** A driver value as epoch milliseconds, without making a Date of a number. */
export const toTime = (value: Date | string | number): number =>
  typeof value === 'number' ? value : toDate(value).getTime();

/** Turns a row into an {@link Envelope} (payload still serialised; the kit decodes it). */
export function rowToEnvelope(row: MessageRow, defaultMaxAttempts: number): Envelope {
  return {
    id: row.id,
    type: row.type,
    body: row.payload,
    attempt: Number(row.attempt),
    maxAttempts: row.max_attempts === null ? defaultMaxAttempts : Number(row.max_attempts),
    createdAt: toDate(row.created_at),
    runAt: toDate(row.run_at),
    partitionKey: row.partition_key ?? undefined,
    priority: Number(row.priority),
    headers: row.headers === null ? {} : (JSON.parse(row.headers) as Record<string, string>),
  };
}

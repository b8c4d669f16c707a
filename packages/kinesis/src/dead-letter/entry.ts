import type { ErrorInfo } from '@mqkit/core';
import { errorInfo } from '@mqkit/core/provider';
import type { DeadLetterReason } from '../consumer/deliver.js';
import type { ShardRecord } from '../consumer/records.js';
import { bodyOf } from '../envelope.js';
import type { StoredDeadLetter } from './store.js';

/**
 * The stored form of a dead-lettered record. The envelope survives a payload the serializer
 * cannot read; raw data that is not an envelope is kept as base64 and marked poison. `error` may
 * already be an {@link ErrorInfo} (a poison record's reason). A readable record's `maxAttempts`
 * is its envelope's, else the consumer's `defaultMaxAttempts`; an unreadable one's is its
 * envelope's, else 1. Pure apart from the clock.
 */
export function deadLetterEntry(
  record: ShardRecord,
  shardId: string,
  error: unknown,
  attempts: number,
  reason: DeadLetterReason,
  defaultMaxAttempts: number,
): StoredDeadLetter {
  const e = record.envelope;
  const alreadyInfo =
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    'message' in error &&
    !(error instanceof Error);
  return {
    id: e?.id ?? `${shardId}:${record.sequenceNumber}`,
    type: e?.type ?? 'mqkit.poison',
    body: e === undefined ? Buffer.from(record.data).toString('base64') : bodyOf(e),
    ...(e === undefined ? { poison: true as const } : {}),
    headers: { ...(e?.headers ?? {}) },
    createdAt: e?.createdAt ?? record.arrivedAt,
    ...(e?.partitionKey !== undefined ? { partitionKey: e.partitionKey } : {}),
    recordPartitionKey: record.recordPartitionKey,
    maxAttempts: e?.maxAttempts ?? (record.poison === undefined ? defaultMaxAttempts : 1),
    shardId,
    sequenceNumber: record.sequenceNumber,
    error: alreadyInfo ? (error as ErrorInfo) : errorInfo(error),
    attempts,
    deadLetteredAt: Date.now(),
    reason,
  };
}

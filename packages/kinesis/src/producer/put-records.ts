import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { BackendError, type BackoffOptions } from '@mqkit/core';
import { computeBackoffMs } from '@mqkit/core/provider';
import { backendError, isThrottling } from '../errors.js';
import { type PutLimits, planBatches } from './batches.js';

/** One record to put. */
export interface PutEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** data + partition key, in bytes. */
  readonly size: number;
}

/** Retry policy of the producer. */
export interface PutRetryPolicy {
  /** Calls per batch before the still-failing entries fail the publish. */
  readonly maxAttempts: number;
  readonly backoff: Required<BackoffOptions>;
}

/** Hooks the producer reports through (lifecycle events). */
export interface PutHooks {
  /** Throttling (whole call or entries); it is retried, never fatal on its own. */
  onThrottled?(retryInMs: number): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Puts `entries` on `streamName` in PutRecords calls within `limits`, in order, and resolves to
 * their sequence numbers (input order). Only the entries a call reports as failed are sent again,
 * with back-off and jitter; throttling is retried like any transient failure. After
 * `policy.maxAttempts` calls the publish fails with {@link BackendError}; entries already stored
 * stay stored (Kinesis has no transactions).
 */
export async function putRecords(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutEntry[],
  limits: PutLimits,
  policy: PutRetryPolicy,
  hooks: PutHooks = {},
): Promise<string[]> {
  const sequenceNumbers = new Array<string>(entries.length);
  const batches = planBatches(
    entries.map((e) => e.size),
    limits,
  );
  for (const [start, end] of batches) {
    let pending: number[] = [];
    for (let i = start; i < end; i++) pending.push(i);
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedCode: string | undefined;
      try {
        const response = await client.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: pending.map((i) => ({
              Data: (entries[i] as PutEntry).data,
              PartitionKey: (entries[i] as PutEntry).partitionKey,
            })),
          }),
        );
        const results = response.Records ?? [];
        const still: number[] = [];
        for (let k = 0; k < pending.length; k++) {
          const index = pending[k] as number;
          const result = results[k];
          if (result?.SequenceNumber !== undefined && result.ErrorCode === undefined) {
            sequenceNumbers[index] = result.SequenceNumber;
          } else {
            still.push(index);
            failedCode = result?.ErrorCode ?? 'MissingResult';
          }
        }
        pending = still;
      } catch (error) {
        // The whole call failed: every pending entry goes again (none was acknowledged).
        if (attempt >= policy.maxAttempts) throw backendError('PutRecords', error);
        failedCode = isThrottling(error) ? 'ProvisionedThroughputExceededException' : 'call';
        if (!isThrottling(error) && !isTransient(error)) throw backendError('PutRecords', error);
      }
      if (pending.length === 0) break;
      if (attempt >= policy.maxAttempts) {
        throw new BackendError(
          `[@mqkit/kinesis] PutRecords: ${pending.length} record(s) still failed after ${attempt} attempts (last error code ${failedCode}); the other records of the call were stored`,
        );
      }
      const delay = computeBackoffMs(attempt, policy.backoff);
      if (isThrottling(failedCode)) hooks.onThrottled?.(delay);
      await sleep(delay);
    }
  }
  return sequenceNumbers;
}

/** Network and 5xx failures are worth another try; validation errors (4xx) are not. */
function isTransient(error: unknown): boolean {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  const status = meta?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500;
}

import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { BackendError, type BackoffOptions } from '@mqkit/core';
import { computeBackoffMs, sleep } from '@mqkit/core/provider';
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

/** The outcome of one entry: its sequence number, or why it was not stored. */
export type PutOutcome = { readonly sequenceNumber: string } | { readonly error: Error };

/**
 * Puts `entries` on `streamName` in PutRecords calls within `limits`, in order, and resolves to
 * their sequence numbers (input order). Only the entries a call reports as failed are sent again,
 * with back-off and jitter; throttling is retried like any transient failure. After
 * `policy.maxAttempts` calls the publish fails with {@link BackendError} and later calls are not
 * sent; entries already stored stay stored (Kinesis has no transactions).
 */
export async function putRecords(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutEntry[],
  limits: PutLimits,
  policy: PutRetryPolicy,
  hooks: PutHooks = {},
): Promise<string[]> {
  const sequenceNumbers: string[] = [];
  for await (const outcomes of putCalls(client, streamName, entries, limits, policy, hooks)) {
    for (const outcome of outcomes) {
      if ('error' in outcome) throw outcome.error;
      sequenceNumbers.push(outcome.sequenceNumber);
    }
  }
  return sequenceNumbers;
}

/**
 * Like {@link putRecords}, but every call is sent and each entry gets its own outcome: what the
 * linger buffer needs, where the entries of one call belong to several `publish` calls.
 */
export async function putRecordsSettled(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutEntry[],
  limits: PutLimits,
  policy: PutRetryPolicy,
  hooks: PutHooks = {},
): Promise<PutOutcome[]> {
  const outcomes: PutOutcome[] = [];
  for await (const call of putCalls(client, streamName, entries, limits, policy, hooks))
    outcomes.push(...call);
  return outcomes;
}

/** The calls of `entries` within `limits`, one after another, each yielding its outcomes. */
async function* putCalls(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutEntry[],
  limits: PutLimits,
  policy: PutRetryPolicy,
  hooks: PutHooks,
): AsyncGenerator<PutOutcome[]> {
  for (const [start, end] of planBatches(
    entries.map((e) => e.size),
    limits,
  ))
    yield await putCall(client, streamName, entries.slice(start, end), policy, hooks);
}

/**
 * One batch (within the limits), retried until every entry is stored or `policy.maxAttempts`
 * calls were made; resolves to one outcome per entry and never rejects.
 */
async function putCall(
  client: KinesisClient,
  streamName: string,
  entries: readonly PutEntry[],
  policy: PutRetryPolicy,
  hooks: PutHooks,
): Promise<PutOutcome[]> {
  const outcomes = new Array<PutOutcome | undefined>(entries.length);
  let pending = entries.map((_, i) => i);
  const failAll = (error: Error): PutOutcome[] => {
    for (const i of pending) outcomes[i] = { error };
    return outcomes as PutOutcome[];
  };
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
          outcomes[index] = { sequenceNumber: result.SequenceNumber };
        } else {
          still.push(index);
          failedCode = result?.ErrorCode ?? 'MissingResult';
        }
      }
      pending = still;
    } catch (error) {
      // The whole call failed: every pending entry goes again (none was acknowledged).
      if (attempt >= policy.maxAttempts) return failAll(backendError('PutRecords', error));
      failedCode = isThrottling(error) ? 'ProvisionedThroughputExceededException' : 'call';
      if (!isThrottling(error) && !isTransient(error))
        return failAll(backendError('PutRecords', error));
    }
    if (pending.length === 0) break;
    if (attempt >= policy.maxAttempts) {
      return failAll(
        new BackendError(
          `[@mqkit/kinesis] PutRecords: ${pending.length} record(s) still failed after ${attempt} attempts (last error code ${failedCode}); the other records of the call were stored`,
        ),
      );
    }
    const delay = computeBackoffMs(attempt, policy.backoff);
    if (isThrottling(failedCode)) hooks.onThrottled?.(delay);
    // A held timer: a publish (or a lingering buffer) being retried must not be cut off by an exit.
    await sleep(delay);
  }
  return outcomes as PutOutcome[];
}

/** Network and 5xx failures are worth another try; validation errors (4xx) are not. */
function isTransient(error: unknown): boolean {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  const status = meta?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500;
}

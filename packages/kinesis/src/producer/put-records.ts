import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { BackendError, type BackoffOptions } from '@mqkit/core';
import { computeBackoffMs, sleep } from '@mqkit/core/provider';
import { backendError, isThrottling } from '../errors.js';
import { type PutLimits, planBatches } from './batches.js';

/**
 * One record to put: the PutRecords request entry itself (sent as it is, so a record costs one
 * object here, as in a hand-written PutRecords loop) plus its size.
 */
export interface PutEntry {
  readonly Data: Uint8Array;
  readonly PartitionKey: string;
  /** Data + partition key, in bytes (not sent: PutRecords serialises only its own fields). */
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

/** The outcome of one entry: its sequence number, or the error why it was not stored. */
export type PutOutcome = string | Error;

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
      if (typeof outcome !== 'string') throw outcome;
      sequenceNumbers.push(outcome);
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
    for (const outcome of call) outcomes.push(outcome);
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
  // Positions in `entries` still to store; `undefined` on the first call (all of them).
  let pending: number[] | undefined;
  const failAll = (error: Error): PutOutcome[] => {
    if (pending === undefined) outcomes.fill(error);
    else for (const i of pending) outcomes[i] = error;
    return outcomes as PutOutcome[];
  };
  for (let attempt = 1; pending === undefined || pending.length > 0; attempt++) {
    let failedCode: string | undefined;
    try {
      const sent = pending;
      const response = await client.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records:
            sent === undefined ? (entries as PutEntry[]) : sent.map((i) => entries[i] as PutEntry),
        }),
      );
      const results = response.Records ?? [];
      const still: number[] = [];
      const count = sent === undefined ? entries.length : sent.length;
      for (let k = 0; k < count; k++) {
        const index = sent === undefined ? k : (sent[k] as number);
        const result = results[k];
        if (result?.SequenceNumber !== undefined && result.ErrorCode === undefined) {
          outcomes[index] = result.SequenceNumber;
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
    if (pending === undefined) pending = entries.map((_, i) => i); // the whole call failed
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

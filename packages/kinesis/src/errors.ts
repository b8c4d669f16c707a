import type { MqkitError } from '@mqkit/core';
import { toBackendError } from '@mqkit/core/provider';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
]);

/** The AWS error name (or per-record `ErrorCode`) of `error`, when it has one. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** Throttling is a reason to wait and retry, never a failure of the message or the handler. */
export function isThrottling(codeOrError: unknown): boolean {
  const name = typeof codeOrError === 'string' ? codeOrError : awsErrorName(codeOrError);
  return name !== undefined && THROTTLING.has(name);
}

/** A shard iterator older than 5 minutes: re-create it after the last delivered record. */
export function isExpiredIterator(error: unknown): boolean {
  return awsErrorName(error) === 'ExpiredIteratorException';
}

/** Wraps a driver error as {@link BackendError}, keeping the cause and redacting credentials. */
export function backendError(operation: string, error: unknown): MqkitError {
  return toBackendError('kinesis', operation, error, (e) =>
    isThrottling(e) ? 'the stream is throttled; add shards or slow down' : undefined,
  );
}

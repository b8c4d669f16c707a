import { computeBackoffMs } from '../backoff.js';
import { ErrorCode } from '../errors.js';
import type { BackoffOptions } from '../options.js';
import type { DeadLetterReason } from './backend.js';

/** What to do with a failed delivery: retry after `delayMs`, or dead-letter for `reason`. */
export type FailureDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: DeadLetterReason };

/** True for a {@link NonRetryableError} (or anything carrying its code): dead-letter at once. */
export function isNonRetryable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { code?: unknown }).code === ErrorCode.NON_RETRYABLE ||
      (error as Error).name === 'NonRetryableError')
  );
}

/**
 * The delay a handler asked for: `retryInMs` of a failed item, else a `retryInMs` property of the
 * thrown error. `undefined` when none was given or it is not a finite number ≥ 0.
 */
export function requestedRetryMs(itemRetryInMs: unknown, error: unknown): number | undefined {
  const value =
    itemRetryInMs !== undefined
      ? itemRetryInMs
      : typeof error === 'object' && error !== null
        ? (error as { retryInMs?: unknown }).retryInMs
        : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Decides a failed delivery: dead-letter a non-retryable error or a last attempt, else retry after
 * the handler's requested delay (capped at `backoff.maxMs`) or the exponential back-off. Pure
 * apart from `random` (jitter).
 */
export function decideFailure(
  failure: {
    readonly attempt: number;
    readonly maxAttempts: number;
    readonly error: unknown;
    readonly retryInMs?: number | undefined;
  },
  backoff: Required<BackoffOptions>,
  random: () => number = Math.random,
): FailureDecision {
  if (isNonRetryable(failure.error)) return { retry: false, reason: 'non-retryable' };
  if (failure.attempt >= failure.maxAttempts) return { retry: false, reason: 'max-attempts' };
  const delayMs =
    failure.retryInMs !== undefined
      ? Math.min(Math.round(failure.retryInMs), backoff.maxMs)
      : computeBackoffMs(failure.attempt, backoff, random);
  return { retry: true, delayMs };
}

/**
 * True when a claim follows a lease that expired on its last attempt (`attempt` is
 * `maxAttempts + 1`): its consumer crashed or hung on it, or on a message held or running beside
 * it. The consume loop runs such a claim alone (a solo run) before judging it: see
 * {@link attemptsExhausted}.
 */
export function needsSoloRun(envelope: {
  readonly attempt: number;
  readonly maxAttempts: number;
}): boolean {
  return envelope.attempt === envelope.maxAttempts + 1;
}

/**
 * True when a claim is a redelivery past its solo run: its lease expired on its last attempt, and
 * again when it ran alone (so it, not a neighbour, crashed or hung its consumer). It must be
 * dead-lettered with reason `lease-expired` instead of delivered again.
 */
export function attemptsExhausted(envelope: {
  readonly attempt: number;
  readonly maxAttempts: number;
}): boolean {
  return envelope.attempt > envelope.maxAttempts + 1;
}

/** How long to wait after `failures` consecutive backend failures: doubling, capped. */
export function failureBackoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** failures);
}

/** The stored error of a message dead-lettered because its lease expired on its last attempt. */
export function leaseExpiredError(envelope: { readonly maxAttempts: number }): {
  name: string;
  code: string;
  message: string;
} {
  return {
    name: 'LeaseExpiredError',
    code: 'MQKIT_LEASE_EXPIRED',
    message: `its lease expired without an outcome on its last attempt (maxAttempts ${envelope.maxAttempts}), and on a lease-based queue again when it ran alone: its consumer crashed, hung past visibilityTimeoutMs, or lost the backend`,
  };
}

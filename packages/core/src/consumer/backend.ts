import type { ErrorInfo, Message } from '../types.js';

/**
 * A stored message as a provider reads it, before its payload is decoded: the fields of
 * {@link Message} except `queue` (the kit knows it) and `payload`, plus the stored `body`. The
 * claim has already counted `attempt`; `maxAttempts` is the message's own, else the consumer's
 * `retry.maxAttempts`. The kit decodes `body` once (an unreadable one is dead-lettered as
 * `poison`, never handed to a handler).
 */
export interface Envelope extends Omit<Message, 'queue' | 'payload'> {
  /** The serialised payload, exactly as stored. */
  readonly body: string;
}

/**
 * A message claimed under a lease: its envelope plus the lease `token`. Acknowledging with a
 * stale token must be a no-op. Providers extend it with what their writes need.
 */
export interface Claim extends Envelope {
  /** Lease token written by the claim; fences late acknowledgements of a previous owner. */
  readonly token: string | number;
}

/** A failed message to retry after `delayMs`. */
export interface RetryOutcome<C extends Claim = Claim> {
  readonly claim: C;
  readonly delayMs: number;
  readonly error: ErrorInfo;
}

/**
 * Why a message was dead-lettered: its last attempt failed (`max-attempts`), a handler said so
 * (`non-retryable`), its payload cannot be decoded (`poison`), or its lease expired on its last
 * attempt, e.g. because the consumer crashed on it every time (`lease-expired`).
 */
export type DeadLetterReason = 'max-attempts' | 'non-retryable' | 'poison' | 'lease-expired';

/** A message to move to the dead letters. */
export interface DeadLetterOutcome<C extends Claim = Claim> {
  readonly claim: C;
  readonly error: ErrorInfo;
  readonly reason: DeadLetterReason;
}

/** Outcomes gathered since the last write; a backend writes each list with one statement where it can. */
export interface Outcomes<C extends Claim = Claim> {
  /** Succeeded: delete (or mark done). */
  readonly acked: C[];
  /** Failed with attempts left: clear the lease, `run_at = now + delayMs`. */
  readonly retried: RetryOutcome<C>[];
  /** Failed for good: move to dead letters with the error and attempt count. */
  readonly deadLettered: DeadLetterOutcome<C>[];
  /** Given back unprocessed (shutdown): clear the lease, due now, attempt not counted. */
  readonly released: C[];
}

/**
 * What a lease-based provider implements so that `runConsumer` can drive it. One instance serves
 * one consumer of one queue. Every method may reject; the loop backs off and retries.
 */
export interface ConsumerBackend<C extends Claim = Claim> {
  /**
   * Claims up to `limit` due messages (highest priority first, then due time) under a lease of
   * `leaseMs`, incrementing each one's attempt. Expired leases are claimable again.
   */
  claim(limit: number, leaseMs: number): Promise<C[]>;
  /** Extends the leases of `claims` by `leaseMs` from now; resolves to the claims whose lease was lost. */
  extend(claims: readonly C[], leaseMs: number): Promise<readonly C[]>;
  /** Writes outcomes; entries whose token no longer matches are ignored. */
  settle(outcomes: Outcomes<C>): Promise<void>;
  /**
   * Most `settle` calls the loop runs at once. Default 1. More only for a backend whose writes of
   * disjoint messages are independent: the loop never has two writes of one message id in flight,
   * and starts an extra write only while its handlers wait for outcomes to be written.
   */
  readonly maxSettlesInFlight?: number;
  /**
   * Resolves when new work may be available (a wake-up), after `timeoutMs` at the latest, or
   * when `signal` aborts. Without it the loop sleeps `timeoutMs`. See `createWakeups`.
   */
  waitForWork?(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Releases what this consumer's backend holds (listeners, timers). */
  close?(): Promise<void> | void;
}

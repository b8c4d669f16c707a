import type { ErrorInfo, Message } from '../types.js';

/** A message claimed under a lease. Acknowledging with a stale `token` must be a no-op. */
export interface Claim<Msg extends Message = Message> {
  /** The message as delivered (attempt already incremented by the claim). */
  readonly message: Msg;
  /** Lease token written by the claim; fences late acknowledgements of a previous owner. */
  readonly token: string | number;
}

/** A failed message to retry after `delayMs`. */
export interface RetryOutcome<C extends Claim = Claim> {
  readonly claim: C;
  readonly delayMs: number;
  readonly error: ErrorInfo;
}

/** A message to move to the dead letters. */
export interface DeadLetterOutcome<C extends Claim = Claim> {
  readonly claim: C;
  readonly error: ErrorInfo;
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
 * What a provider implements so that {@link runConsumer} can drive it. One instance serves one
 * consumer of one queue. Every method may reject; the loop backs off and retries.
 */
export interface ConsumerBackend<C extends Claim = Claim> {
  /** Claims up to `limit` due messages (highest priority first, then due time) under a lease of `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<C[]>;
  /** Extends the leases of `claims` by `leaseMs` from now; resolves to the claims whose lease was lost. */
  extend(claims: readonly C[], leaseMs: number): Promise<readonly C[]>;
  /** Writes outcomes; entries whose token no longer matches are ignored. */
  settle(outcomes: Outcomes<C>): Promise<void>;
  /**
   * Resolves when new work may be available (a wake-up), after `timeoutMs` at the latest, or
   * when `signal` aborts. Without it the loop sleeps `timeoutMs`.
   */
  waitForWork?(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Releases what this consumer's backend holds (listeners, timers). */
  close?(): Promise<void> | void;
}

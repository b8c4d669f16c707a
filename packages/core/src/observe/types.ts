import type { ErrorInfo } from '../types.js';

/**
 * A count a provider can or cannot measure. `null` means "this number has no meaning for this
 * provider" (a stream has no per-message ready/in-flight state): never read it as 0.
 */
export type StatValue = number | null;

/**
 * What `queue.stats(queue)` returns: a cheap snapshot (counters, or one indexed query) of one
 * queue. Counts are exact at the moment they were read; a `null` field is one the provider
 * cannot measure (see {@link StatValue}).
 */
export interface QueueStats {
  /** The queue, as the application names it (without namespace). */
  readonly queue: string;
  /** When the snapshot was taken. */
  readonly at: Date;
  /**
   * Messages due now and not leased: what a consumer would claim next. Includes messages
   * waiting behind their `partitionKey`'s in-flight head, and messages whose lease expired.
   */
  readonly ready: StatValue;
  /** Messages not due yet: published with `delayMs`/`runAt`, or waiting for a retry back-off. */
  readonly delayed: StatValue;
  /** Messages leased to a consumer right now (being handled, or claimed ahead with `prefetch`). */
  readonly inFlight: StatValue;
  /** Dead letters of the queue (what `deadLetters.count(queue)` returns). */
  readonly deadLettered: StatValue;
  /**
   * How long the oldest due message has waited since it became due, in milliseconds: the
   * number to alert on. 0 when nothing is ready.
   */
  readonly oldestReadyAgeMs: StatValue;
}

/** State of one consumer's circuit breaker (see `circuitBreaker` in the consume options). */
export type CircuitState = 'closed' | 'open';

/** One consumer of this queue instance, as `health()` reports it. */
export interface ConsumerHealth {
  /** The consumer's id. */
  readonly id: string;
  /** The queue it consumes (without namespace). */
  readonly queue: string;
  /** False once `stop()` was called or the queue was closed. */
  readonly running: boolean;
  /** When the loop last asked the backend for work (the start of its latest finished claim, successful or not); `undefined` before the first. */
  readonly lastClaimAt: Date | undefined;
  /** `open` while claims keep failing (`circuitBreaker.failureThreshold` in a row). */
  readonly circuit: CircuitState;
  /**
   * False when the loop looks stuck: a claim has been waiting on the backend for longer than
   * `visibilityTimeoutMs` (a hung call; a failing backend is reported by `circuit` instead).
   */
  readonly live: boolean;
}

/** Backend reachability, as `health()` measured it with one cheap round trip. */
export interface BackendHealth {
  /** True when the round trip answered within the timeout. */
  readonly ok: boolean;
  /** How long the round trip took (or the timeout, when it did not answer). */
  readonly latencyMs: number;
  /** Why it is not ok (credentials redacted); absent when ok. */
  readonly error?: ErrorInfo;
}

/**
 * What `queue.health()` returns. `ready` is readiness (the backend answers: route traffic
 * here); `live` is liveness (no consumer loop of this instance is stuck: do not restart).
 */
export interface HealthReport {
  /** `ready && live`. */
  readonly ok: boolean;
  /** The backend answered within the timeout. */
  readonly ready: boolean;
  /** Every running consumer's loop is live (see {@link ConsumerHealth.live}). */
  readonly live: boolean;
  /** The provider's name. */
  readonly provider: string;
  /** When the check ran. */
  readonly checkedAt: Date;
  /** The backend round trip. */
  readonly backend: BackendHealth;
  /** The consumers of this queue instance, running or stopping. */
  readonly consumers: readonly ConsumerHealth[];
}

/** Options of `queue.health()`. */
export interface HealthOptions {
  /** How long the backend round trip may take before it counts as down. Default 5 000 ms. */
  timeoutMs?: number;
}

/** Options of `queue.peek(queue, options)`. */
export interface PeekOptions {
  /** How many messages to return, 1 to 1 000. Default 10. */
  limit?: number;
}

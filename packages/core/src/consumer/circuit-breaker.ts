import { errorInfo } from '../error-info.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { failureBackoffMs } from './failure-policy.js';

/** What the loop must do after a backend failure. */
export interface BreakerDelay {
  /** How long to wait before the next attempt. */
  readonly delayMs: number;
  /** True when this failure opened the circuit (emit `circuitOpened` once). */
  readonly opened: boolean;
  /** Consecutive failures so far. */
  readonly failures: number;
}

/**
 * Counts consecutive backend failures of the claim path: back off `min(maxMs, minMs × 2^n)`,
 * and after `failureThreshold` in a row open the circuit and wait `resetTimeoutMs` between probes.
 * Pure state: no timers, no I/O.
 */
export class CircuitBreaker {
  private failures = 0;
  private open = false;

  constructor(
    private readonly options: {
      readonly failureThreshold: number;
      readonly resetTimeoutMs: number;
      readonly minMs: number;
      readonly maxMs: number;
    },
  ) {}

  /** True while the circuit is open. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Records a failure; returns how long to wait and whether the circuit just opened. */
  failure(): BreakerDelay {
    this.failures++;
    const { failureThreshold, resetTimeoutMs, minMs, maxMs } = this.options;
    if (this.failures < failureThreshold)
      return {
        delayMs: failureBackoffMs(this.failures, minMs, maxMs),
        opened: false,
        failures: this.failures,
      };
    const opened = !this.open;
    this.open = true;
    return { delayMs: resetTimeoutMs, opened, failures: this.failures };
  }

  /** Records a success; returns true when it closed an open circuit (emit `circuitClosed`). */
  success(): boolean {
    this.failures = 0;
    if (!this.open) return false;
    this.open = false;
    return true;
  }
}

/** Where a consumer reports backend failures. */
export interface BackendHealthContext {
  readonly provider: string;
  readonly queue: string;
  readonly consumerId: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
}

/**
 * A consumer's view of its backend: failed operations are logged and emitted (`backendError`);
 * claim failures drive the {@link CircuitBreaker}, whose opening and closing are logged and
 * emitted (`circuitOpened`, `circuitClosed`).
 */
export class BackendHealth {
  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly c: BackendHealthContext,
  ) {}

  /** Reports a failed backend operation. */
  reportError(operation: string, error: unknown): void {
    const { provider, queue, consumerId, logger, lifecycle } = this.c;
    const err = errorInfo(error);
    logger.warn({ queue, consumerId, operation, err }, 'backend operation failed; backing off');
    if (lifecycle.active)
      lifecycle.emit({ type: 'backendError', provider, queue, operation, error: err });
  }

  /** Reports a failed claim; returns how long to wait before the next one. */
  claimFailed(error: unknown): number {
    this.reportError('claim', error);
    const { delayMs, opened, failures } = this.breaker.failure();
    if (opened) {
      const { provider, queue, consumerId, logger, lifecycle } = this.c;
      logger.error(
        { queue, consumerId, consecutiveFailures: failures, retryInMs: delayMs },
        'circuit opened: backend keeps failing',
      );
      if (lifecycle.active)
        lifecycle.emit({
          type: 'circuitOpened',
          provider,
          queue,
          consecutiveFailures: failures,
          retryInMs: delayMs,
        });
    }
    return delayMs;
  }

  /** Reports a successful claim (closes an open circuit). */
  claimSucceeded(): void {
    if (!this.breaker.success()) return;
    const { provider, queue, consumerId, logger, lifecycle } = this.c;
    logger.warn({ queue, consumerId }, 'circuit closed: backend recovered');
    if (lifecycle.active) lifecycle.emit({ type: 'circuitClosed', provider, queue });
  }
}

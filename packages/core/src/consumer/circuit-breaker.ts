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

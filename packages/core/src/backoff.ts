import type { BackoffOptions } from './options.js';

/**
 * Delay before the attempt after `attempt` (1-based):
 * `min(maxMs, initialMs × factor^(attempt−1)) × (1 − jitter × random)`.
 */
export function computeBackoffMs(
  attempt: number,
  backoff: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** exponent);
  return Math.round(base * (1 - backoff.jitter * random()));
}

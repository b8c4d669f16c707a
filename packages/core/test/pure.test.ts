import { describe, expect, it } from 'vitest';
import { computeBackoffMs, TokenBucket } from '../src/provider.js';

describe('computeBackoffMs', () => {
  const backoff = { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0 };
  it('grows exponentially up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => computeBackoffMs(a, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
  it('jitter removes up to that fraction of the delay', () => {
    const jittered = { ...backoff, jitter: 0.5 };
    expect(computeBackoffMs(3, jittered, () => 0)).toBe(400);
    expect(computeBackoffMs(3, jittered, () => 0.999_999)).toBe(200);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(bucket.take(8, 0)).toBe(5);
    expect(bucket.take(1, 0)).toBe(0);
    expect(bucket.msUntilNext(0)).toBe(100);
    expect(bucket.take(3, 250)).toBe(2);
  });
});

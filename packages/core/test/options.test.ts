import { describe, expect, it } from 'vitest';
import { ConfigurationError, consumeDefaults, defaultPrefetch } from '../src/index.js';
import { resolveConsumeOptions } from '../src/provider.js';

describe('resolveConsumeOptions', () => {
  it('fills in the documented defaults', () => {
    const o = resolveConsumeOptions(undefined, 'test');
    expect(o).toEqual({
      batchSize: 1,
      prefetch: 10,
      concurrency: 1,
      visibilityTimeoutMs: 30_000,
      heartbeatIntervalMs: 10_000,
      handlerTimeoutMs: 900_000,
      pollIntervalMs: 1_000,
      minPollIntervalMs: 10,
      retry: {
        maxAttempts: 5,
        backoff: { initialMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.5 },
      },
      rateLimit: undefined,
      circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 5_000 },
    });
    expect(consumeDefaults.visibilityTimeoutMs).toBe(30_000);
  });

  it('derives the prefetch default from concurrency and batch size, capped, and keeps explicit values', () => {
    expect(resolveConsumeOptions({ concurrency: 50 }, 'test').prefetch).toBe(500);
    expect(resolveConsumeOptions({ concurrency: 10, batchSize: 100 }, 'test').prefetch).toBe(1_000);
    expect(resolveConsumeOptions({ concurrency: 50, prefetch: 0 }, 'test').prefetch).toBe(0);
    expect(defaultPrefetch(3, 2)).toBe(60);
  });

  it('derives the heartbeat from the lease and keeps explicit values', () => {
    const o = resolveConsumeOptions(
      { visibilityTimeoutMs: 900, batchSize: 50, retry: { backoff: { jitter: 0 } } },
      'test',
    );
    expect(o.heartbeatIntervalMs).toBe(300);
    expect(o.batchSize).toBe(50);
    expect(o.retry.backoff).toEqual({ initialMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0 });
  });

  it.each([
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', /integer from 1 to 1000 \(got 0\)/],
    [
      { retry: { backoff: { factor: 0.5 } } },
      'retry.backoff.factor',
      /number from 1 to 100 \(got 0.5\)/,
    ],
    [{ retry: { backoff: { jitter: 2 } } }, 'retry.backoff.jitter', /number from 0 to 1 \(got 2\)/],
    [
      { retry: { backoff: { initialMs: 5_000, maxMs: 100 } } },
      'retry.backoff.maxMs',
      /from 5000 to/,
    ],
    [{ rateLimit: { perSecond: 0 } }, 'rateLimit.perSecond', /greater than 0/],
    [{ rateLimit: {} }, 'rateLimit.perSecond', /is required/],
    [
      { circuitBreaker: { failureThreshold: -1 } },
      'circuitBreaker.failureThreshold',
      /integer from 1 to 1000/,
    ],
    [{ minPollIntervalMs: 5_000 }, 'minPollIntervalMs', /integer from 1 to 1000/],
    [{ prefetch: -1 }, 'prefetch', /integer from 0 to 100000 \(got -1\)/],
    [{ batchSize: '10' }, 'batchSize', /\(got "10"\)/],
    [{ retry: 3 }, 'retry', /must be an object \(got 3\)/],
  ])('rejects %j naming %s', (input, field, message) => {
    let error: unknown;
    try {
      resolveConsumeOptions(input as never, 'test');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe(field);
    expect((error as ConfigurationError).code).toBe('MQKIT_CONFIGURATION');
    expect((error as Error).message).toMatch(/^\[@mqkit\/test\] option /);
    expect((error as Error).message).toMatch(message);
  });

  it('does not suggest a name for a key that resembles nothing', () => {
    expect(() => resolveConsumeOptions({ zzzzzzzzzz: 1 } as never, 'test')).toThrow(
      /"zzzzzzzzzz" is not a known option \(accepted: batchSize/,
    );
  });
});

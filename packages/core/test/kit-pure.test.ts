// Behaviour of the kit's pure modules, case by case, so that a mutation of any rule (a dropped
// regex anchor, a flipped comparison, an off-by-one in a back-off) fails a test here.
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ErrorCode, NonRetryableError, ValidationError } from '../src/index.js';
import {
  assertNamespace,
  assertQueueName,
  attemptsExhausted,
  CircuitBreaker,
  computeBackoffMs,
  decideFailure,
  failureBackoffMs,
  isNonRetryable,
  leaseExpiredError,
  needsSoloRun,
  qualifyQueueName,
  redactSecrets,
  requestedRetryMs,
  sleep,
  storableStringProblem,
  TokenBucket,
} from '../src/provider.js';

describe('queue names', () => {
  it('accepts 1–128 characters of A–Z a–z 0–9 _ . -', () => {
    for (const name of ['a', 'Z', '0', 'orders_v2.eu-west', 'x'.repeat(128)])
      expect(() => assertQueueName(name, 'memory')).not.toThrow();
  });
  it('rejects a name with junk before or after valid characters (both anchors hold)', () => {
    for (const name of ['orders ', ' orders', 'orders:x', 'a/b', 'ord\ners', 'orders\n'])
      expect(() => assertQueueName(name, 'memory')).toThrow(ValidationError);
  });
  it('rejects empty, too long and non-string names, saying what it got', () => {
    expect(() => assertQueueName('', 'memory')).toThrow('invalid queue name ""');
    expect(() => assertQueueName('x'.repeat(129), 'memory')).toThrow(
      `invalid queue name "${'x'.repeat(60)}…"`,
    );
    expect(() => assertQueueName('y'.repeat(60), 'memory')).not.toThrow();
    expect(() => assertQueueName(`${'y'.repeat(60)}!`, 'memory')).toThrow(`"${'y'.repeat(60)}…"`);
    expect(() => assertQueueName(`${'y'.repeat(59)}!`, 'memory')).toThrow(`"${'y'.repeat(59)}!"`);
    expect(() => assertQueueName(42, 'prisma')).toThrow(
      '[@mqkit/prisma] invalid queue name number: use 1–128 characters from A–Z, a–z, 0–9, "_", "." and "-"',
    );
  });
});

describe('namespaces', () => {
  it('accepts undefined and 1–64 characters of A–Z a–z 0–9 _ -', () => {
    for (const ns of [undefined, 'prod', 'eu_west-1', 'n'.repeat(64)])
      expect(() => assertNamespace(ns, 'memory')).not.toThrow();
  });
  it('rejects dots, colons, junk at either end, too long and non-strings', () => {
    for (const ns of ['a.b', 'a:b', ' prod', 'prod ', 'prod\n', '', 'n'.repeat(65), 7, null]) {
      expect(() => assertNamespace(ns, 'memory')).toThrow(ConfigurationError);
    }
    expect(() => assertNamespace('a:b', 'mongodb')).toThrow(
      '[@mqkit/mongodb] option "namespace" must be 1–64 characters from A–Z, a–z, 0–9, "_" and "-" (got "a:b")',
    );
    expect(() => assertNamespace(7, 'memory')).toThrow('(got number)');
    try {
      assertNamespace('a b', 'memory');
    } catch (error) {
      expect((error as ConfigurationError).field).toBe('namespace');
    }
  });
  it('qualifies a queue as namespace:queue, or leaves it alone', () => {
    expect(qualifyQueueName('prod', 'orders')).toBe('prod:orders');
    expect(qualifyQueueName(undefined, 'orders')).toBe('orders');
  });
});

describe('storable strings', () => {
  it('accepts well-formed Unicode, including surrogate pairs', () => {
    expect(storableStringProblem('plain')).toBeUndefined();
    expect(storableStringProblem('emoji 😀 ok')).toBeUndefined();
    expect(storableStringProblem('')).toBeUndefined();
  });
  it('names the index of a NUL', () => {
    expect(storableStringProblem('\u0000')).toBe('must not contain U+0000 (at index 0)');
    expect(storableStringProblem('ab\u0000')).toBe('must not contain U+0000 (at index 2)');
  });
  it('names the index of an unpaired high or low surrogate', () => {
    const message = (i: number) =>
      `must not contain an unpaired UTF-16 surrogate (at index ${i}); send well-formed Unicode`;
    expect(storableStringProblem('ab\uD83D')).toBe(message(2));
    expect(storableStringProblem('\uD83Dx')).toBe(message(0));
    expect(storableStringProblem('x\uDE00')).toBe(message(1));
    expect(storableStringProblem('\uDE00\uD83D')).toBe(message(0));
  });
});

describe('redactSecrets', () => {
  it('hides the password of a connection string and keeps the user', () => {
    expect(redactSecrets('connect postgresql://app:s3cret@db:5432/x failed')).toBe(
      'connect postgresql://app:***@db:5432/x failed',
    );
    expect(redactSecrets('MONGODB+SRV://u:p@h/')).toBe('MONGODB+SRV://u:***@h/');
  });
  it('hides a bare token before @ and every occurrence', () => {
    expect(redactSecrets('redis://tok3n@h a redis://u:p@h2')).toBe(
      'redis://***@h a redis://u:***@h2',
    );
  });
  it('hides password-like parameters, whatever their case, up to the separator', () => {
    expect(redactSecrets('host=h password=abc;user=u')).toBe('host=h password=***;user=u');
    expect(redactSecrets('?PWD=x&apikey=y,token=z secret=w')).toBe(
      '?PWD=***&apikey=***,token=*** secret=***',
    );
    expect(redactSecrets('api_key=1 accesskey=2 secretaccesskey=3 passwd=4')).toBe(
      'api_key=*** accesskey=*** secretaccesskey=*** passwd=***',
    );
  });
  it('leaves text without credentials alone', () => {
    const text = 'postgresql://db:5432/x and mytoken=1 and user@example.com';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('computeBackoffMs', () => {
  const backoff = { initialMs: 100, factor: 3, maxMs: 2_000, jitter: 0 };
  it('starts at initialMs on attempt 1 (and treats attempt 0 as 1)', () => {
    expect(computeBackoffMs(1, backoff)).toBe(100);
    expect(computeBackoffMs(0, backoff)).toBe(100);
    expect(computeBackoffMs(2, backoff)).toBe(300);
    expect(computeBackoffMs(4, backoff)).toBe(2_000);
  });
  it('rounds the jittered delay and uses Math.random by default', () => {
    expect(computeBackoffMs(1, { ...backoff, initialMs: 3, jitter: 0.5 }, () => 0.5)).toBe(2);
    for (let i = 0; i < 20; i++) {
      const d = computeBackoffMs(2, { ...backoff, jitter: 1 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(300);
    }
  });
});

describe('TokenBucket', () => {
  it('reports what is available without taking it and never exceeds the burst', () => {
    const bucket = new TokenBucket(10, 3, 1_000);
    expect(bucket.available(1_000)).toBe(3);
    expect(bucket.available(1_000)).toBe(3);
    expect(bucket.available(60_000)).toBe(3);
    expect(bucket.take(5, 60_000)).toBe(3);
    expect(bucket.available(60_000)).toBe(0);
  });
  it('refills fractionally over elapsed time, never from a clock going backwards', () => {
    const bucket = new TokenBucket(4, 4, 0);
    expect(bucket.take(4, 0)).toBe(4);
    expect(bucket.msUntilNext(0)).toBe(250);
    expect(bucket.msUntilNext(100)).toBe(150);
    expect(bucket.available(-5_000)).toBe(0);
    expect(bucket.available(250)).toBe(1);
    expect(bucket.msUntilNext(250)).toBe(0);
    expect(bucket.take(1, 499)).toBe(1);
    expect(bucket.take(1, 499)).toBe(0);
    expect(bucket.take(2, 740)).toBe(1);
  });
});

describe('CircuitBreaker', () => {
  it('backs off doubling until the threshold, then opens once and waits resetTimeoutMs', () => {
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 5_000,
      minMs: 100,
      maxMs: 300,
    });
    expect(breaker.isOpen).toBe(false);
    expect(breaker.failure()).toEqual({ delayMs: 200, opened: false, failures: 1 });
    expect(breaker.failure()).toEqual({ delayMs: 300, opened: false, failures: 2 });
    expect(breaker.isOpen).toBe(false);
    expect(breaker.failure()).toEqual({ delayMs: 5_000, opened: true, failures: 3 });
    expect(breaker.isOpen).toBe(true);
    expect(breaker.failure()).toEqual({ delayMs: 5_000, opened: false, failures: 4 });
    expect(breaker.success()).toBe(true);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.success()).toBe(false);
    expect(breaker.failure()).toEqual({ delayMs: 200, opened: false, failures: 1 });
  });
  it('a success resets the count before the circuit opens', () => {
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 1_000,
      minMs: 10,
      maxMs: 1_000,
    });
    breaker.failure();
    expect(breaker.success()).toBe(false);
    expect(breaker.failure().opened).toBe(false);
    expect(breaker.failure().opened).toBe(true);
  });
});

describe('failure policy', () => {
  const backoff = { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0 };
  it('recognises NonRetryableError by class, code or name only', () => {
    expect(isNonRetryable(new NonRetryableError('no'))).toBe(true);
    expect(isNonRetryable({ code: ErrorCode.NON_RETRYABLE })).toBe(true);
    expect(isNonRetryable(Object.assign(new Error('x'), { name: 'NonRetryableError' }))).toBe(true);
    expect(isNonRetryable(new Error('NonRetryableError'))).toBe(false);
    expect(isNonRetryable({ code: 'OTHER' })).toBe(false);
    expect(isNonRetryable(null)).toBe(false);
    expect(isNonRetryable('NonRetryableError')).toBe(false);
  });
  it('takes the requested delay from the item first, then from the error', () => {
    expect(requestedRetryMs(50, { retryInMs: 70 })).toBe(50);
    expect(requestedRetryMs(undefined, { retryInMs: 70 })).toBe(70);
    expect(requestedRetryMs(0, undefined)).toBe(0);
    expect(requestedRetryMs(undefined, undefined)).toBeUndefined();
    expect(requestedRetryMs(undefined, null)).toBeUndefined();
    expect(requestedRetryMs(undefined, 'x')).toBeUndefined();
    expect(requestedRetryMs(-1, undefined)).toBeUndefined();
    expect(requestedRetryMs(Number.POSITIVE_INFINITY, undefined)).toBeUndefined();
    expect(requestedRetryMs('10', undefined)).toBeUndefined();
  });
  it('dead-letters a non-retryable error even with attempts left, and the last attempt', () => {
    expect(
      decideFailure({ attempt: 1, maxAttempts: 5, error: new NonRetryableError('x') }, backoff),
    ).toEqual({ retry: false, reason: 'non-retryable' });
    expect(decideFailure({ attempt: 3, maxAttempts: 3, error: new Error('x') }, backoff)).toEqual({
      retry: false,
      reason: 'max-attempts',
    });
    expect(decideFailure({ attempt: 4, maxAttempts: 3, error: new Error('x') }, backoff)).toEqual({
      retry: false,
      reason: 'max-attempts',
    });
  });
  it('retries with the requested delay (rounded, capped at maxMs) or the back-off', () => {
    const error = new Error('x');
    expect(decideFailure({ attempt: 2, maxAttempts: 3, error }, backoff)).toEqual({
      retry: true,
      delayMs: 200,
    });
    expect(decideFailure({ attempt: 2, maxAttempts: 3, error, retryInMs: 10.6 }, backoff)).toEqual({
      retry: true,
      delayMs: 11,
    });
    expect(decideFailure({ attempt: 1, maxAttempts: 3, error, retryInMs: 9_999 }, backoff)).toEqual(
      { retry: true, delayMs: 1_000 },
    );
    expect(
      decideFailure({ attempt: 1, maxAttempts: 2, error }, { ...backoff, jitter: 0.5 }, () => 1),
    ).toEqual({ retry: true, delayMs: 50 });
  });
  it('a claim one past its last attempt runs alone; only one past that solo run is exhausted', () => {
    const at = (attempt: number) => ({ attempt, maxAttempts: 3 });
    expect([3, 4, 5, 6].map((n) => needsSoloRun(at(n)))).toEqual([false, true, false, false]);
    expect([3, 4, 5, 6].map((n) => attemptsExhausted(at(n)))).toEqual([false, false, true, true]);
  });
  it('backend failures back off doubling from minMs, capped', () => {
    expect([0, 1, 2, 3, 9].map((n) => failureBackoffMs(n, 50, 500))).toEqual([
      50, 100, 200, 400, 500,
    ]);
  });
  it('a lease-expired dead letter says why and carries a stable code', () => {
    expect(leaseExpiredError({ maxAttempts: 4 })).toEqual({
      name: 'LeaseExpiredError',
      code: 'MQKIT_LEASE_EXPIRED',
      message:
        'its lease expired without an outcome on its last attempt (maxAttempts 4), and on a lease-based queue again when it ran alone: its consumer crashed, hung past visibilityTimeoutMs, or lost the backend',
    });
  });
});

describe('sleep', () => {
  it('resolves true after the time, false at once when aborted (before or during), and never rejects', async () => {
    expect(await sleep(5)).toBe(true);
    expect(await sleep(0)).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    expect(await sleep(10_000, aborted.signal)).toBe(false);
    const during = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, during.signal);
    setTimeout(() => during.abort(), 10);
    expect(await pending).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('holds the process by default and lets it exit with { unref: true }', async () => {
    const { spawnSync } = await import('node:child_process');
    const src = new URL('../src/consumer/sleep.ts', import.meta.url).pathname;
    const run = (unref: boolean) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import { sleep } from ${JSON.stringify(src)}; void sleep(1500, undefined, { unref: ${unref} }).then(() => console.log('slept'));`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    expect(run(false)).toBe('slept');
    expect(run(true)).toBe('');
  }, 20_000);
});

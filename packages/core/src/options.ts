import { Checker, describe } from './checker.js';
import { ConfigurationError } from './errors.js';

// Re-exported: they lived here before checker.ts.
export { Checker, closest, describe } from './checker.js';

/** Exponential back-off between attempts: `min(maxMs, initialMs × factor^(attempt−1))`, minus jitter. */
export interface BackoffOptions {
  /** Delay before the 2nd attempt. Default 1000 ms; 0–86 400 000. */
  initialMs?: number;
  /** Growth per attempt. Default 2; 1–100. */
  factor?: number;
  /** Upper bound of a delay. Default 300 000 ms; ≥ initialMs, ≤ 86 400 000. */
  maxMs?: number;
  /** Fraction of the delay randomised away (0 = none, 1 = full jitter). Default 0.5; 0–1. */
  jitter?: number;
}

/** Retry policy of a consumer. */
export interface RetryOptions {
  /** Attempts before dead-lettering (a message's own `maxAttempts` wins). Default 5; 1–1000. */
  maxAttempts?: number;
  /** Back-off between attempts. */
  backoff?: BackoffOptions;
}

/** Token bucket limiting how many handler calls start per second. */
export interface RateLimitOptions {
  /** Sustained handler starts per second. Required; > 0, ≤ 1 000 000. */
  perSecond: number;
  /** Bucket size (starts allowed in a burst). Default `max(1, perSecond)`; 1–1 000 000. */
  burst?: number;
}

/** Back-off when the backend fails, so an outage never becomes a hot loop. */
export interface CircuitBreakerOptions {
  /** Consecutive backend failures that open the circuit. Default 5; 1–1000. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe. Default 5000 ms; 10–600 000. */
  resetTimeoutMs?: number;
}

/** Options of `consume()`, the same names on every provider. See docs/options.md for the table. */
export interface ConsumeOptions {
  /** Messages per handler call. Default 1; 1–10 000. */
  batchSize?: number;
  /**
   * Messages claimed ahead of free handler slots and held under lease (extended by the heartbeat),
   * so a finishing handler's slot is refilled without a round trip to the backend. Released
   * unprocessed on stop; after a crash they wait for their lease like running ones. Default
   * {@link defaultPrefetch}: 10 × concurrency × batchSize, at most 1,000; 0–100 000 (0 = only what
   * free slots can start).
   */
  prefetch?: number;
  /** Handler calls running at once. Default 1; 1–10 000. */
  concurrency?: number;
  /** Lease on a claimed message; extended by the heartbeat while its handler runs. Default 30 000 ms; 100–43 200 000. */
  visibilityTimeoutMs?: number;
  /** How often leases of running handlers are extended. Default visibilityTimeoutMs / 3; 10 to below visibilityTimeoutMs. */
  heartbeatIntervalMs?: number;
  /** A handler still running after this is aborted (`ctx.signal`) and its batch fails. Default 900 000 ms; 1–86 400 000. */
  handlerTimeoutMs?: number;
  /** Longest wait between polls when idle (wake-ups cut it short). Default 1000 ms; 1–300 000. */
  pollIntervalMs?: number;
  /** First wait after an empty poll; doubles up to `pollIntervalMs`. Default 10 ms; 1 to pollIntervalMs. */
  minPollIntervalMs?: number;
  /** Retry policy. */
  retry?: RetryOptions;
  /** Optional limit on handler starts per second. */
  rateLimit?: RateLimitOptions;
  /** Backend-failure back-off. */
  circuitBreaker?: CircuitBreakerOptions;
}

/** {@link ConsumeOptions} with every default filled in. */
export interface ResolvedConsumeOptions {
  readonly batchSize: number;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly visibilityTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly handlerTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly minPollIntervalMs: number;
  readonly retry: { readonly maxAttempts: number; readonly backoff: Required<BackoffOptions> };
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | undefined;
  readonly circuitBreaker: Required<CircuitBreakerOptions>;
}

/**
 * Default `prefetch`: ten handler calls' worth of messages (`10 × concurrency × batchSize`), at
 * most 1,000. Measured on `bench/prisma` (batch 1 × concurrency 50): each claim round trip then
 * refills many slots, ~2.5-3× the drain rate of prefetch 0; see docs/benchmarks-prisma.md.
 */
export function defaultPrefetch(concurrency: number, batchSize: number): number {
  return Math.min(MAX_DEFAULT_PREFETCH, PREFETCH_FACTOR * concurrency * batchSize);
}

const PREFETCH_FACTOR = 10;
const MAX_DEFAULT_PREFETCH = 1_000;

/**
 * The defaults of {@link ConsumeOptions} (heartbeat: a third of the visibility timeout; prefetch:
 * {@link defaultPrefetch} of the resolved concurrency and batch size).
 */
export const consumeDefaults = {
  batchSize: 1,
  concurrency: 1,
  visibilityTimeoutMs: 30_000,
  handlerTimeoutMs: 900_000,
  pollIntervalMs: 1_000,
  minPollIntervalMs: 10,
  retry: { maxAttempts: 5, backoff: { initialMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.5 } },
  circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 5_000 },
} as const;

const CONSUME_KEYS = [
  'batchSize',
  'prefetch',
  'concurrency',
  'visibilityTimeoutMs',
  'heartbeatIntervalMs',
  'handlerTimeoutMs',
  'pollIntervalMs',
  'minPollIntervalMs',
  'retry',
  'rateLimit',
  'circuitBreaker',
] as const;

/**
 * Fills in defaults and validates every field. Throws {@link ConfigurationError} naming the field,
 * the accepted range and the value received; unknown keys (typos) are rejected too.
 */
export function resolveConsumeOptions(
  options: ConsumeOptions | undefined,
  provider: string,
): ResolvedConsumeOptions {
  const o = (options ?? {}) as Record<string, unknown>;
  const check: Checker = new Checker(provider);
  check.plainObject(o, 'options');
  check.knownKeys(o, CONSUME_KEYS, '');
  const retryIn = check.optionalObject(o.retry, 'retry', ['maxAttempts', 'backoff']);
  const backoffIn = check.optionalObject(retryIn.backoff, 'retry.backoff', [
    'initialMs',
    'factor',
    'maxMs',
    'jitter',
  ]);
  const breakerIn = check.optionalObject(o.circuitBreaker, 'circuitBreaker', [
    'failureThreshold',
    'resetTimeoutMs',
  ]);

  const visibilityTimeoutMs = check.int(
    o.visibilityTimeoutMs,
    'visibilityTimeoutMs',
    100,
    43_200_000,
    consumeDefaults.visibilityTimeoutMs,
  );
  const heartbeatIntervalMs = check.int(
    o.heartbeatIntervalMs,
    'heartbeatIntervalMs',
    10,
    43_200_000,
    Math.max(10, Math.floor(visibilityTimeoutMs / 3)),
  );
  if (heartbeatIntervalMs >= visibilityTimeoutMs) {
    throw new ConfigurationError(
      'heartbeatIntervalMs',
      `[@mqkit/${provider}] option "heartbeatIntervalMs" (${heartbeatIntervalMs}) must be shorter than "visibilityTimeoutMs" (${visibilityTimeoutMs}), or leases expire between heartbeats; a third of the lease is a good value`,
    );
  }
  const pollIntervalMs = check.int(
    o.pollIntervalMs,
    'pollIntervalMs',
    1,
    300_000,
    consumeDefaults.pollIntervalMs,
  );
  const minPollIntervalMs = check.int(
    o.minPollIntervalMs,
    'minPollIntervalMs',
    1,
    pollIntervalMs,
    Math.min(consumeDefaults.minPollIntervalMs, pollIntervalMs),
  );
  const d = consumeDefaults.retry.backoff;
  const initialMs = check.int(
    backoffIn.initialMs,
    'retry.backoff.initialMs',
    0,
    86_400_000,
    d.initialMs,
  );
  const backoff = {
    initialMs,
    factor: check.num(backoffIn.factor, 'retry.backoff.factor', 1, 100, d.factor),
    maxMs: check.int(
      backoffIn.maxMs,
      'retry.backoff.maxMs',
      initialMs,
      86_400_000,
      Math.max(d.maxMs, initialMs),
    ),
    jitter: check.num(backoffIn.jitter, 'retry.backoff.jitter', 0, 1, d.jitter),
  };
  let rateLimit: ResolvedConsumeOptions['rateLimit'];
  if (o.rateLimit !== undefined) {
    const r = check.optionalObject(o.rateLimit, 'rateLimit', ['perSecond', 'burst']);
    if (r.perSecond === undefined) {
      throw new ConfigurationError(
        'rateLimit.perSecond',
        `[@mqkit/${provider}] option "rateLimit.perSecond" is required when "rateLimit" is set`,
      );
    }
    const perSecond = check.num(r.perSecond, 'rateLimit.perSecond', Number.MIN_VALUE, 1_000_000, 1);
    rateLimit = {
      perSecond,
      burst: check.int(
        r.burst,
        'rateLimit.burst',
        1,
        1_000_000,
        Math.max(1, Math.floor(perSecond)),
      ),
    };
  }
  const batchSize = check.int(o.batchSize, 'batchSize', 1, 10_000, consumeDefaults.batchSize);
  const concurrency = check.int(
    o.concurrency,
    'concurrency',
    1,
    10_000,
    consumeDefaults.concurrency,
  );
  return {
    batchSize,
    prefetch: check.int(
      o.prefetch,
      'prefetch',
      0,
      100_000,
      defaultPrefetch(concurrency, batchSize),
    ),
    concurrency,
    visibilityTimeoutMs,
    heartbeatIntervalMs,
    handlerTimeoutMs: check.int(
      o.handlerTimeoutMs,
      'handlerTimeoutMs',
      1,
      86_400_000,
      consumeDefaults.handlerTimeoutMs,
    ),
    pollIntervalMs,
    minPollIntervalMs,
    retry: {
      maxAttempts: check.int(
        retryIn.maxAttempts,
        'retry.maxAttempts',
        1,
        1000,
        consumeDefaults.retry.maxAttempts,
      ),
      backoff,
    },
    rateLimit,
    circuitBreaker: {
      failureThreshold: check.int(
        breakerIn.failureThreshold,
        'circuitBreaker.failureThreshold',
        1,
        1000,
        consumeDefaults.circuitBreaker.failureThreshold,
      ),
      resetTimeoutMs: check.int(
        breakerIn.resetTimeoutMs,
        'circuitBreaker.resetTimeoutMs',
        10,
        600_000,
        consumeDefaults.circuitBreaker.resetTimeoutMs,
      ),
    },
  };
}

/**
 * Validates the options of `Consumer.stop()` / `MessageQueue.close()` and returns `timeoutMs`
 * (default 30 000). Throws {@link ConfigurationError} before anything changes state.
 */
export function resolveStopTimeout(options: unknown, provider: string): number {
  const check = new Checker(provider);
  const o = check.optionalObject(options, 'options', ['timeoutMs']);
  const timeoutMs = o.timeoutMs ?? 30_000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new ConfigurationError(
      'timeoutMs',
      `[@mqkit/${provider}] option "timeoutMs" of stop()/close() must be a finite number ≥ 0 (got ${describe(timeoutMs)})`,
    );
  }
  return timeoutMs;
}

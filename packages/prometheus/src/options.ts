import { Checker } from '@mqkit/core/provider';
import type { Registry } from 'prom-client';

/** Histogram bucket boundaries, in seconds, ascending. */
export interface PrometheusBuckets {
  /** `<prefix>handler_duration_seconds`. Default {@link DEFAULT_DURATION_BUCKETS}. */
  handlerDuration?: readonly number[];
  /** `<prefix>message_age_seconds` (published → handled). Default {@link DEFAULT_AGE_BUCKETS}. */
  messageAge?: readonly number[];
}

/** Options of `createPrometheusLifecycle`. */
export interface PrometheusLifecycleOptions {
  /** Registry the metrics are registered in. Default: prom-client's global `register`. */
  registry?: Registry;
  /** Prefix of every metric name. Default `mqkit_`. */
  prefix?: string;
  /** Adds a `type` label (the message type) to message counters and histograms. Default false: keep it off unless your types are a small fixed set. */
  includeType?: boolean;
  /** Histogram buckets in seconds. */
  buckets?: PrometheusBuckets;
  /** How long one `stats()` call may take at scrape time before it is given up. Default 2 000 ms. */
  statsTimeoutMs?: number;
  /** How long a `stats()` result is reused by later scrapes. Default 5 000 ms (0: every scrape asks). */
  statsCacheMs?: number;
}

/** Default buckets of the handler duration histogram (seconds). */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/** Default buckets of the message age histogram (seconds). */
export const DEFAULT_AGE_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600,
]);

/** {@link PrometheusLifecycleOptions} validated, defaults filled in (registry left to the caller). */
export interface ResolvedPrometheusOptions {
  readonly registry: Registry | undefined;
  readonly prefix: string;
  readonly includeType: boolean;
  readonly durationBuckets: readonly number[];
  readonly ageBuckets: readonly number[];
  readonly statsTimeoutMs: number;
  readonly statsCacheMs: number;
}

const KEYS = ['registry', 'prefix', 'includeType', 'buckets', 'statsTimeoutMs', 'statsCacheMs'];
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function bucketList(
  check: Checker,
  value: unknown,
  field: string,
  fallback: readonly number[],
): readonly number[] {
  if (value === undefined) return fallback;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (v, i) =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        v > 0 &&
        (i === 0 || v > (value[i - 1] as number)),
    );
  if (!ok)
    throw check.error(
      field,
      'must be a non-empty array of positive, strictly ascending numbers of seconds',
    );
  return Object.freeze([...(value as number[])]);
}

/** Validates the options at construction; throws `ConfigurationError` naming the field. */
export function resolvePrometheusOptions(
  options: PrometheusLifecycleOptions | undefined,
): ResolvedPrometheusOptions {
  const check: Checker = new Checker('prometheus');
  const o: unknown = options === undefined ? {} : options;
  const checker: Checker = check;
  checker.plainObject(o, 'options');
  checker.knownKeys(o, KEYS, '');
  const registry = o.registry;
  if (
    registry !== undefined &&
    (typeof registry !== 'object' ||
      registry === null ||
      typeof (registry as Registry).registerMetric !== 'function')
  )
    throw check.error(
      'registry',
      'must be a prom-client Registry (new Registry() or the default register)',
    );
  const prefix = check.string(o.prefix, 'prefix', 'mqkit_') as string;
  if (!METRIC_PREFIX.test(prefix))
    throw check.error(
      'prefix',
      `must be a valid metric name prefix matching ${METRIC_PREFIX} (got ${JSON.stringify(prefix)})`,
    );
  const buckets = check.optionalObject(o.buckets, 'buckets', ['handlerDuration', 'messageAge']);
  return {
    registry: registry as Registry | undefined,
    prefix,
    includeType: check.boolean(o.includeType, 'includeType', false),
    durationBuckets: bucketList(
      check,
      buckets.handlerDuration,
      'buckets.handlerDuration',
      DEFAULT_DURATION_BUCKETS,
    ),
    ageBuckets: bucketList(check, buckets.messageAge, 'buckets.messageAge', DEFAULT_AGE_BUCKETS),
    statsTimeoutMs: check.int(o.statsTimeoutMs, 'statsTimeoutMs', 1, 60_000, 2_000),
    statsCacheMs: check.int(o.statsCacheMs, 'statsCacheMs', 0, 3_600_000, 5_000),
  };
}

import type { IncomingMessage } from 'node:http';
import type { KinesisTarget } from '@mqkit/cli/actions';
import {
  ConfigurationError,
  createDefaultLogger,
  type Logger,
  type MessageQueue,
} from '@mqkit/core';
import type { ActivityTracker } from './activity.js';

/**
 * Decides whether a request may see the dashboard: resolve `true` to let it in. Runs on every
 * request (pages, assets and actions); throwing or rejecting counts as a refusal (401, logged).
 */
export type DashboardAuth = (req: IncomingMessage) => boolean | Promise<boolean>;

/** The Kinesis streams the dashboard's Kinesis page shows (shards, leases, checkpoints). */
export interface DashboardKinesisOptions {
  /** The Kinesis client (the dashboard never closes it). */
  readonly kinesis: KinesisTarget['kinesis'];
  /** The Redis holding @mqkit/kinesis's leases and checkpoints (never closed by the dashboard). */
  readonly redis: KinesisTarget['redis'];
  /** The queues (as the application names them) consumed from Kinesis. */
  readonly queues: readonly string[];
  /** @mqkit/kinesis `namespace`, as the application configured it. */
  readonly namespace?: string;
  /** @mqkit/kinesis `keyPrefix`. Default `mqkit`. */
  readonly keyPrefix?: string;
  /** Explicit queue → stream mapping (@mqkit/kinesis `streams` option), when the app uses one. */
  readonly streams?: Readonly<Record<string, string>>;
}

/** What payloads the dashboard shows, and which of their fields it masks. */
export interface PayloadOptions {
  /**
   * Field names (case-insensitive, at any depth) whose values are replaced by `[redacted]`.
   * Added to the defaults: password, secret, token, authorization, apiKey, cookie, creditCard.
   */
  readonly redact?: readonly string[];
}

/** Options of {@link createDashboard}. Validated once: a wrong one throws `ConfigurationError`. */
export interface DashboardOptions {
  /**
   * The queue instance whose queues the dashboard shows (`queues.queues()` lists them; a provider
   * that cannot list queues needs `queueNames`).
   */
  readonly queues: MessageQueue;
  /** Queues to show, in addition to what `queues.queues()` lists. Default none. */
  readonly queueNames?: readonly string[];
  /** Where the dashboard is mounted, e.g. `/admin/queues`. Default `/`. */
  readonly basePath?: string;
  /**
   * Required. A function deciding who may see the dashboard, or `false` to leave it open
   * (a warning is logged once at start-up: put it behind your own auth then).
   */
  readonly auth: DashboardAuth | false;
  /** Hides and refuses (403) every mutating action: replay, purge. Default false. */
  readonly readOnly?: boolean;
  /**
   * Shows message payloads on the dead-letter pages (they may hold personal data). `true` or
   * `{ redact }` masks the default secret-looking fields (plus `redact`). Default false.
   */
  readonly showPayloads?: boolean | PayloadOptions;
  /** Logger (pino-compatible). Default: pino at `warn` (`MQKIT_LOG_LEVEL`). Never logs payloads. */
  readonly logger?: Logger;
  /**
   * Throughput and failure-rate counters: pass the same tracker as a lifecycle provider of the
   * queue. Without it, the overview shows stats only.
   */
  readonly activity?: ActivityTracker;
  /** Kinesis page: the streams to show. Without it the page says how to enable it. */
  readonly kinesis?: DashboardKinesisOptions;
  /** How often `stats()` of every queue is sampled for the history charts, in ms. Default 10 000 (1 000–600 000). */
  readonly sampleIntervalMs?: number;
  /** Samples kept per queue. Default 60 (10 minutes at the default interval; 2–10 000). */
  readonly historySize?: number;
  /**
   * Secret signing the CSRF tokens (≥ 32 characters). Default: random per process — fine for
   * one instance; behind a load balancer without sticky sessions, give every instance the same.
   */
  readonly csrfSecret?: string;
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly queue: MessageQueue;
  readonly queueNames: readonly string[];
  readonly basePath: string;
  readonly auth: DashboardAuth | false;
  readonly readOnly: boolean;
  readonly payloads: PayloadOptions | undefined;
  readonly logger: Logger;
  readonly activity: ActivityTracker | undefined;
  readonly kinesis: DashboardKinesisOptions | undefined;
  readonly sampleIntervalMs: number;
  readonly historySize: number;
  readonly csrfSecret: string | undefined;
}

const KEYS = new Set([
  'queues',
  'queueNames',
  'basePath',
  'auth',
  'readOnly',
  'showPayloads',
  'logger',
  'activity',
  'kinesis',
  'sampleIntervalMs',
  'historySize',
  'csrfSecret',
]);

const fail = (field: string, message: string): never => {
  throw new ConfigurationError(field, `[@mqkit/dashboard] ${message}`);
};

function intIn(
  field: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    fail(field, `option "${field}" must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

/** Pure apart from the default logger: validates {@link DashboardOptions}. */
export function resolveOptions(options: DashboardOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    fail('options', 'createDashboard needs an options object');
  for (const key of Object.keys(options))
    if (!KEYS.has(key)) fail(key, `unknown option "${key}" (accepted: ${[...KEYS].join(', ')})`);
  const queue = options.queues;
  if (queue === undefined || typeof queue.stats !== 'function')
    fail(
      'queues',
      'option "queues" is required: the MessageQueue whose queues the dashboard shows',
    );
  if (options.auth !== false && typeof options.auth !== 'function')
    fail(
      'auth',
      'option "auth" is required: a function (req) => boolean | Promise<boolean>, or `false` to leave the dashboard open (not recommended)',
    );
  const basePath = (options.basePath ?? '/').replace(/\/+$/, '');
  if (basePath !== '' && !/^\/[A-Za-z0-9._~\-/]*$/.test(basePath))
    fail(
      'basePath',
      `option "basePath" must be a path like /admin/queues, got "${options.basePath}"`,
    );
  if (options.csrfSecret !== undefined && options.csrfSecret.length < 32)
    fail('csrfSecret', 'option "csrfSecret" must hold at least 32 characters');
  const kinesis = options.kinesis;
  if (
    kinesis !== undefined &&
    (!kinesis.kinesis || !kinesis.redis || !Array.isArray(kinesis.queues))
  )
    fail('kinesis', 'option "kinesis" needs { kinesis, redis, queues }');
  const payloads =
    options.showPayloads === true ? {} : options.showPayloads ? options.showPayloads : undefined;
  return {
    queue,
    queueNames: [...(options.queueNames ?? [])],
    basePath,
    auth: options.auth,
    readOnly: options.readOnly ?? false,
    payloads,
    logger: options.logger ?? createDefaultLogger('mqkit-dashboard'),
    activity: options.activity,
    kinesis,
    sampleIntervalMs: intIn('sampleIntervalMs', options.sampleIntervalMs, 10_000, 1_000, 600_000),
    historySize: intIn('historySize', options.historySize, 60, 2, 10_000),
    csrfSecret: options.csrfSecret,
  };
}

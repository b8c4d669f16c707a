import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { BackoffOptions, MessageQueue, QueueOptions } from '@mqkit/core';
import { Checker } from '@mqkit/core/provider';
import type { Cluster, Redis } from 'ioredis';
import type { CheckpointStore } from './checkpoint/store.js';
import { isStreamName } from './names.js';
import type { PartitionKeyStrategy } from './partition-key.js';
import type { PutLimits } from './producer/batches.js';
import {
  type KinesisProducerOptions,
  type ResolvedLinger,
  resolveProducerOptions,
} from './producer/options.js';

export type { KinesisLingerOptions, KinesisProducerOptions } from './producer/options.js';

export const PROVIDER = 'kinesis';

/** Where a shard starts when it has no checkpoint yet. */
export type StartPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date };

/** Connection settings used when no `KinesisClient` is passed. */
export interface KinesisConnection {
  /** e.g. `http://127.0.0.1:4567` for kinesalite; default: the AWS endpoint of `region`. */
  endpoint?: string;
  /** Default `AWS_REGION`, else `us-east-1`. */
  region?: string;
  /** Default: the SDK's credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-request timeout in ms (kinesalite's AT_TIMESTAMP can hang). Default 10 000. */
  requestTimeoutMs?: number;
}

/** Shard-consumer settings (the common names like `batchSize` are `consume()` options). */
export interface KinesisConsumerOptions {
  /** Start of a shard without checkpoint. Default `'TRIM_HORIZON'`. */
  startPosition?: StartPosition;
  /** Records per GetRecords call. Default 10 000 (the service limit); 1–10 000. */
  getRecordsLimit?: number;
  /**
   * Least time between two GetRecords on one shard. Default 210 ms: the service allows 5 calls/s
   * per shard over any sliding second, and 10 ms of headroom absorbs timer and send jitter. ≥ 200.
   */
  getRecordsIntervalMs?: number;
  /** How often the shard list is refreshed (new shards after a reshard). Default 10 000 ms. */
  shardRefreshIntervalMs?: number;
  /** Records older than this (arrival time) are dead-lettered unprocessed. Default: no limit. */
  maxRecordAgeMs?: number;
  /**
   * Heartbeat cutoff: an instance whose last heartbeat is older than this is dead and its share is
   * recomputed by its peers. Default: `visibilityTimeoutMs` (the lease TTL); 1 000–600 000.
   */
  instanceTimeoutMs?: number;
  /**
   * Rebalance damping: a shard held for less than this is never handed to a peer to even out the
   * share (deploys do not make leases ping-pong). Default 5 000 ms; 0–600 000.
   */
  rebalanceDampingMs?: number;
  /**
   * Watchdog: a shard loop that makes no progress for this long (a handler that ignores its abort,
   * a hung call) gives its lease up. Default `handlerTimeoutMs + 2 × visibilityTimeoutMs`.
   */
  watchdogMs?: number;
}

/** Dead-letter settings. */
export interface KinesisDeadLetterOptions {
  /** Dead letters kept per queue in Redis; the oldest beyond it are evicted. Default 10 000. */
  maxEntries?: number;
  /**
   * Also forward every dead letter to another queue (any mqkit `MessageQueue`, e.g. a Prisma
   * queue for durable keeping), published as type `mqkit.dead-letter`.
   */
  forwardTo?: { queue: MessageQueue; name: string };
}

/** Options of {@link createKinesisQueue}. */
export interface KinesisQueueOptions extends QueueOptions {
  /** Your `KinesisClient` (never closed by mqkit), or settings to create one. */
  kinesis?: KinesisClient | KinesisConnection;
  /**
   * Your ioredis client or `Cluster` (never closed by mqkit), or a Redis URL. Default
   * `redis://127.0.0.1:6379`.
   */
  redis?: Redis | Cluster | string;
  /** Explicit queue → stream names; wins over the default mapping (`namespace.queue`). */
  streams?: Record<string, string>;
  /**
   * First part of every Redis key. Default `mqkit`. `%`, `{` and `}` are percent-encoded in keys,
   * so the prefix never disturbs the `{namespace:queue}` hash tag.
   */
  keyPrefix?: string;
  /** How a record's partition key is chosen when `publish` gives none. Default `'id'` (even spread). */
  partitionKey?: PartitionKeyStrategy;
  producer?: KinesisProducerOptions;
  consumer?: KinesisConsumerOptions;
  deadLetters?: KinesisDeadLetterOptions;
  /** Replace the Redis checkpoint store (leases stay in Redis). */
  checkpointStore?: (queue: string) => CheckpointStore;
  /** Create missing streams with this many shards (development and tests). Default: a missing stream is an error. */
  autoCreate?: { shardCount: number };
}

/** Resolved provider-specific options. */
export interface ResolvedKinesisOptions {
  readonly streams: Readonly<Record<string, string>>;
  readonly keyPrefix: string;
  readonly partitionKey: PartitionKeyStrategy;
  readonly limits: PutLimits;
  readonly put: { readonly maxAttempts: number; readonly backoff: Required<BackoffOptions> };
  /** `undefined`: every publish is sent at once. */
  readonly linger: ResolvedLinger | undefined;
  /** Record layout written (`producer.envelopeVersion`). */
  readonly envelopeVersion: 1 | 2;
  readonly consumer: {
    readonly startPosition: StartPosition;
    readonly getRecordsLimit: number;
    readonly getRecordsIntervalMs: number;
    readonly shardRefreshIntervalMs: number;
    readonly maxRecordAgeMs: number | undefined;
    readonly instanceTimeoutMs: number | undefined;
    readonly rebalanceDampingMs: number;
    readonly watchdogMs: number | undefined;
  };
  readonly deadLetters: {
    readonly maxEntries: number;
    readonly forwardTo: KinesisDeadLetterOptions['forwardTo'];
  };
  readonly requestTimeoutMs: number;
  readonly autoCreate: { readonly shardCount: number } | undefined;
  readonly checkpointStore: ((queue: string) => CheckpointStore) | undefined;
}

export const KINESIS_OPTION_KEYS = [
  'kinesis',
  'redis',
  'streams',
  'keyPrefix',
  'partitionKey',
  'producer',
  'consumer',
  'deadLetters',
  'checkpointStore',
  'autoCreate',
] as const;

/** Validates the Kinesis-specific options; throws {@link ConfigurationError} naming the field. */
export function resolveKinesisOptions(
  options: KinesisQueueOptions | undefined,
): ResolvedKinesisOptions {
  const o = (options ?? {}) as Record<string, unknown>;
  const check: Checker = new Checker(PROVIDER);
  const streamsIn = o.streams ?? {};
  check.plainObject(streamsIn, 'streams');
  for (const [queue, stream] of Object.entries(streamsIn)) {
    if (!isStreamName(stream))
      throw check.error(
        `streams.${queue}`,
        `must be a Kinesis stream name: 1–128 of A–Z a–z 0–9 _ . - (got ${JSON.stringify(stream)})`,
      );
  }
  const keyPrefix = check.string(o.keyPrefix, 'keyPrefix', 'mqkit') as string;
  const strategy = o.partitionKey ?? 'id';
  const validStrategy =
    strategy === 'id' ||
    strategy === 'type' ||
    strategy === 'random' ||
    typeof strategy === 'function' ||
    (typeof strategy === 'object' &&
      strategy !== null &&
      typeof (strategy as { field?: unknown }).field === 'string' &&
      (strategy as { field: string }).field.length > 0);
  if (!validStrategy)
    throw check.error(
      'partitionKey',
      `must be 'id', 'type', 'random', { field: 'path.to.field' } or a function (got ${typeof strategy === 'string' ? JSON.stringify(strategy) : typeof strategy})`,
    );
  const producer = resolveProducerOptions(check, o.producer);
  const consumer = check.optionalObject(o.consumer, 'consumer', [
    'startPosition',
    'getRecordsLimit',
    'getRecordsIntervalMs',
    'shardRefreshIntervalMs',
    'maxRecordAgeMs',
    'instanceTimeoutMs',
    'rebalanceDampingMs',
    'watchdogMs',
  ]);
  const start = consumer.startPosition ?? 'TRIM_HORIZON';
  const validStart =
    start === 'TRIM_HORIZON' ||
    start === 'LATEST' ||
    (typeof start === 'object' &&
      start !== null &&
      (start as { timestamp?: unknown }).timestamp instanceof Date &&
      !Number.isNaN((start as { timestamp: Date }).timestamp.getTime()));
  if (!validStart)
    throw check.error(
      'consumer.startPosition',
      `must be 'TRIM_HORIZON', 'LATEST' or { timestamp: Date }`,
    );
  const dead = check.optionalObject(o.deadLetters, 'deadLetters', ['maxEntries', 'forwardTo']);
  const forwardTo = dead.forwardTo as KinesisDeadLetterOptions['forwardTo'];
  if (forwardTo !== undefined) {
    if (
      typeof forwardTo !== 'object' ||
      forwardTo === null ||
      typeof forwardTo.queue?.publish !== 'function' ||
      typeof forwardTo.name !== 'string'
    )
      throw check.error('deadLetters.forwardTo', 'must be { queue: MessageQueue, name: string }');
  }
  if (o.checkpointStore !== undefined && typeof o.checkpointStore !== 'function')
    throw check.error('checkpointStore', 'must be a function (queue) => CheckpointStore');
  const kinesis = o.kinesis as KinesisConnection | undefined;
  let requestTimeoutMs = 10_000;
  if (kinesis !== undefined && !isKinesisClient(kinesis)) {
    check.optionalObject(kinesis, 'kinesis', [
      'endpoint',
      'region',
      'credentials',
      'requestTimeoutMs',
    ]);
    check.string(kinesis.endpoint, 'kinesis.endpoint');
    check.string(kinesis.region, 'kinesis.region');
    requestTimeoutMs = check.int(
      kinesis.requestTimeoutMs,
      'kinesis.requestTimeoutMs',
      100,
      600_000,
      10_000,
    );
  }
  if (o.redis !== undefined && typeof o.redis !== 'string' && !isRedisClient(o.redis))
    throw check.error('redis', 'must be an ioredis client or a redis:// URL');
  return {
    streams: { ...(streamsIn as Record<string, string>) },
    keyPrefix,
    partitionKey: strategy as PartitionKeyStrategy,
    limits: producer.limits,
    put: producer.put,
    linger: producer.linger,
    envelopeVersion: producer.envelopeVersion,
    consumer: {
      startPosition: start as StartPosition,
      getRecordsLimit: check.int(
        consumer.getRecordsLimit,
        'consumer.getRecordsLimit',
        1,
        10_000,
        10_000,
      ),
      getRecordsIntervalMs: check.int(
        consumer.getRecordsIntervalMs,
        'consumer.getRecordsIntervalMs',
        200,
        60_000,
        210,
      ),
      shardRefreshIntervalMs: check.int(
        consumer.shardRefreshIntervalMs,
        'consumer.shardRefreshIntervalMs',
        100,
        3_600_000,
        10_000,
      ),
      maxRecordAgeMs:
        consumer.maxRecordAgeMs === undefined
          ? undefined
          : check.int(
              consumer.maxRecordAgeMs,
              'consumer.maxRecordAgeMs',
              1,
              7 * 24 * 3600 * 1000,
              0,
            ),
      instanceTimeoutMs:
        consumer.instanceTimeoutMs === undefined
          ? undefined
          : check.int(consumer.instanceTimeoutMs, 'consumer.instanceTimeoutMs', 1_000, 600_000, 0),
      rebalanceDampingMs: check.int(
        consumer.rebalanceDampingMs,
        'consumer.rebalanceDampingMs',
        0,
        600_000,
        5_000,
      ),
      watchdogMs:
        consumer.watchdogMs === undefined
          ? undefined
          : check.int(consumer.watchdogMs, 'consumer.watchdogMs', 1_000, 86_400_000, 0),
    },
    deadLetters: {
      maxEntries: check.int(dead.maxEntries, 'deadLetters.maxEntries', 1, 10_000_000, 10_000),
      forwardTo,
    },
    requestTimeoutMs,
    autoCreate:
      o.autoCreate === undefined
        ? undefined
        : {
            shardCount: check.int(
              check.optionalObject(o.autoCreate, 'autoCreate', ['shardCount']).shardCount,
              'autoCreate.shardCount',
              1,
              10_000,
              1,
            ),
          },
    checkpointStore: o.checkpointStore as ((queue: string) => CheckpointStore) | undefined,
  };
}

/** Duck-typed: a `KinesisClient` has `send` and a middleware stack. */
export function isKinesisClient(value: unknown): value is KinesisClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function' &&
    'middlewareStack' in value
  );
}

/** Duck-typed: an ioredis client has `evalsha` and `hgetall`. */
export function isRedisClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { evalsha?: unknown }).evalsha === 'function' &&
    typeof (value as { hgetall?: unknown }).hgetall === 'function'
  );
}

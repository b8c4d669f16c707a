import type { BackoffOptions } from '@mqkit/core';
import type { Checker } from '@mqkit/core/provider';
import { KINESIS_PUT_LIMITS, type PutLimits } from './batches.js';

/**
 * Producer linger: `publish` calls made within `maxDelayMs` of each other share PutRecords calls
 * (like the KPL's `RecordMaxBufferedTime`). Off by default: every `publish` sends at once.
 */
export interface KinesisLingerOptions {
  /** How long the first buffered record waits for others before the buffer is sent. 1–10 000 ms. */
  maxDelayMs: number;
  /**
   * Buffered records that send the buffer at once, before `maxDelayMs`. Default: the records of
   * one PutRecords call (`maxBatchRecords`, 500); 1–100 000.
   */
  maxRecords?: number;
}

/** Producer settings. */
export interface KinesisProducerOptions {
  /** Records per PutRecords call. Default 500 (the service limit); 1–500. */
  maxBatchRecords?: number;
  /** Bytes per PutRecords call. Default 5 MiB (the service limit). */
  maxBatchBytes?: number;
  /** Bytes per record including the partition key. Default 1 MiB (raise it if your stream allows more). */
  maxRecordBytes?: number;
  /** Calls per batch before still-failing records fail the publish. Default 8; 1–100. */
  maxAttempts?: number;
  /** Back-off between calls. Default 100 ms doubling to 5 s, jitter 0.5. */
  backoff?: BackoffOptions;
  /**
   * Buffer publishes for up to `linger.maxDelayMs` so many small publishes share PutRecords calls.
   * Each `publish` still settles with its own records' outcome; `close()` sends what is buffered.
   * Default: off.
   */
  linger?: KinesisLingerOptions;
  /**
   * Record layout written. Default 2: with the built-in JSON serializer the payload is inline, so a
   * consumer parses each record once (any other serializer always writes 1). 1 writes the payload
   * as a string inside the envelope. Every released version of `@mqkit/kinesis` reads both.
   */
  envelopeVersion?: 1 | 2;
}

/** Resolved linger settings. */
export interface ResolvedLinger {
  readonly maxDelayMs: number;
  readonly maxRecords: number;
}

/** Resolved producer settings. */
export interface ResolvedProducerOptions {
  readonly limits: PutLimits;
  readonly put: { readonly maxAttempts: number; readonly backoff: Required<BackoffOptions> };
  /** `undefined`: no linger, every publish sends at once. */
  readonly linger: ResolvedLinger | undefined;
  readonly envelopeVersion: 1 | 2;
}

/** Validates `producer` options; throws {@link ConfigurationError} naming the field. */
export function resolveProducerOptions(check: Checker, value: unknown): ResolvedProducerOptions {
  const producer = check.optionalObject(value, 'producer', [
    'maxBatchRecords',
    'maxBatchBytes',
    'maxRecordBytes',
    'maxAttempts',
    'backoff',
    'linger',
    'envelopeVersion',
  ]);
  const backoffIn = check.optionalObject(producer.backoff, 'producer.backoff', [
    'initialMs',
    'factor',
    'maxMs',
    'jitter',
  ]);
  const initialMs = check.int(backoffIn.initialMs, 'producer.backoff.initialMs', 0, 60_000, 100);
  const maxRecordBytes = check.int(
    producer.maxRecordBytes,
    'producer.maxRecordBytes',
    1,
    64 * 1024 * 1024,
    KINESIS_PUT_LIMITS.maxRecordBytes,
  );
  const maxBatchBytes = check.int(
    producer.maxBatchBytes,
    'producer.maxBatchBytes',
    maxRecordBytes,
    256 * 1024 * 1024,
    Math.max(KINESIS_PUT_LIMITS.maxBytes, maxRecordBytes),
  );
  const maxRecords = check.int(
    producer.maxBatchRecords,
    'producer.maxBatchRecords',
    1,
    500,
    KINESIS_PUT_LIMITS.maxRecords,
  );
  return {
    limits: { maxRecords, maxBytes: maxBatchBytes, maxRecordBytes },
    put: {
      maxAttempts: check.int(producer.maxAttempts, 'producer.maxAttempts', 1, 100, 8),
      backoff: {
        initialMs,
        factor: check.num(backoffIn.factor, 'producer.backoff.factor', 1, 100, 2),
        maxMs: check.int(
          backoffIn.maxMs,
          'producer.backoff.maxMs',
          initialMs,
          600_000,
          Math.max(5_000, initialMs),
        ),
        jitter: check.num(backoffIn.jitter, 'producer.backoff.jitter', 0, 1, 0.5),
      },
    },
    linger: resolveLinger(check, producer.linger, maxRecords),
    envelopeVersion: check.int(producer.envelopeVersion, 'producer.envelopeVersion', 1, 2, 2) as
      | 1
      | 2,
  };
}

function resolveLinger(
  check: Checker,
  value: unknown,
  batchRecords: number,
): ResolvedLinger | undefined {
  if (value === undefined) return undefined;
  const linger = check.optionalObject(value, 'producer.linger', ['maxDelayMs', 'maxRecords']);
  if (linger.maxDelayMs === undefined)
    throw check.error(
      'producer.linger.maxDelayMs',
      'is required when producer.linger is set (e.g. { maxDelayMs: 20 }); omit producer.linger to send every publish at once',
    );
  return {
    maxDelayMs: check.int(linger.maxDelayMs, 'producer.linger.maxDelayMs', 1, 10_000, 0),
    maxRecords: check.int(
      linger.maxRecords,
      'producer.linger.maxRecords',
      1,
      100_000,
      batchRecords,
    ),
  };
}

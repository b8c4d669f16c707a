import { type Handler, type Logger, ShutdownError } from '@mqkit/core';
import {
  computeBackoffMs,
  isNonRetryable,
  type LifecycleDispatcher,
  leaseExpiredError,
  type ResolvedConsumeOptions,
  requestedRetryMs,
  sleep,
  type TokenBucket,
} from '@mqkit/core/provider';
import type { DecodedEnvelope } from '../envelope.js';
import { createHandlerCall } from './handler-call.js';
import { halves, type ShardRecord } from './records.js';
import type { Semaphore } from './semaphore.js';

/** Why a record was dead-lettered. */
export type DeadLetterReason =
  | 'max-attempts'
  | 'non-retryable'
  | 'poison'
  | 'lease-expired'
  | 'max-record-age';

/** What delivering one shard's records needs. */
export interface DeliveryContext {
  readonly provider: string;
  readonly queue: string;
  /** The shard whose records are delivered (the messages' `meta.shardId`). */
  readonly shardId: string;
  readonly consumerId: string;
  readonly handler: Handler;
  readonly options: ResolvedConsumeOptions;
  readonly lifecycle: LifecycleDispatcher;
  readonly logger: Logger;
  /** Aborts on lease loss (LeaseLostError) and, after the stop timeout, on shutdown (ShutdownError). */
  readonly signal: AbortSignal;
  /** True once stop() began: finish the handler call in flight, start nothing new. */
  readonly stopping: () => boolean;
  readonly slots: Semaphore;
  /** Handler starts per second across the consumer's shards (`rateLimit`), when set. */
  readonly rateLimit: TokenBucket | undefined;
  readonly maxRecordAgeMs: number | undefined;
  /**
   * Whether deliveries headed by `sequenceNumber` are counted in the store: only the record right
   * after the checkpoint has a crash counter (with parallel lanes, the others are not counted).
   */
  shouldCount(sequenceNumber: string): boolean;
  /** Persists a delivery of the records starting at `sequenceNumber`; `undefined` when the lease is gone. */
  countAttempt(sequenceNumber: string, count: number, delta: 1 | -1): Promise<number | undefined>;
  /** A handler ignored its abort: the shard's lease must be left to expire, not released. */
  onAbandoned(): void;
  /** Stores a dead letter; false when it could not be stored before the shard stopped. */
  deadLetter(
    record: ShardRecord,
    error: unknown,
    attempts: number,
    reason: DeadLetterReason,
  ): Promise<boolean>;
}

/**
 * Delivers the records of one chunk in place: the shard waits while a failing record is retried
 * with back-off; after `maxAttempts` a failing batch is bisected until the failing records are
 * isolated and dead-lettered, and every good record is delivered. Resolves true when every
 * record succeeded or was dead-lettered (the caller may checkpoint past the chunk), false when
 * the shard must stop without checkpointing (lease lost, shutdown).
 */
export function createDelivery(
  ctx: DeliveryContext,
): (records: readonly ShardRecord[]) => Promise<boolean> {
  // Deliveries so far of each record of the chunks in flight, by the record's index in its
  // GetRecords response (a plain array: a Map keyed by sequence number cost more than the rest of
  // a delivery). Reset when a chunk is done; one response is handled at a time.
  const attempts: number[] = [];
  const seen = (r: ShardRecord): number => attempts[r.index] ?? 0;
  const maxOf = (r: ShardRecord): number =>
    r.envelope?.maxAttempts ?? ctx.options.retry.maxAttempts;

  const run = createHandlerCall(ctx, (r) => seen(r) || 1);

  const bump = (records: readonly ShardRecord[]): void => {
    for (const r of records) attempts[r.index] = seen(r) + 1;
  };

  async function deadLetter(
    record: ShardRecord,
    error: unknown,
    reason: DeadLetterReason,
  ): Promise<boolean> {
    return ctx.deadLetter(record, error, seen(record), reason);
  }

  /** Waits before the next in-place attempt: the handler's `retryInMs` (capped), else back-off. */
  async function backoff(records: readonly ShardRecord[], requested?: number): Promise<boolean> {
    if (ctx.stopping()) return false;
    const attempt = Math.max(...records.map((r) => seen(r) || 1));
    const { backoff: policy } = ctx.options.retry;
    const delayMs =
      requested !== undefined
        ? Math.min(Math.round(requested), policy.maxMs)
        : computeBackoffMs(attempt, policy);
    if (ctx.lifecycle.active) {
      for (const r of records) {
        const e = r.envelope as DecodedEnvelope;
        ctx.lifecycle.emit({
          type: 'retried',
          provider: ctx.provider,
          queue: ctx.queue,
          message: {
            id: e.id,
            type: e.type,
            attempt: seen(r) || 1,
            createdAt: new Date(e.createdAt),
            partitionKey: e.partitionKey,
          },
          delayMs,
        });
      }
    }
    return (await sleep(delayMs, ctx.signal, { unref: true })) && !ctx.stopping();
  }

  /** Retries `records` in place; past maxAttempts, bisects. */
  async function settle(initial: readonly ShardRecord[]): Promise<boolean> {
    let pending = [...initial];
    while (pending.length > 0) {
      const head = pending[0] as ShardRecord;
      const tracked = ctx.shouldCount(head.sequenceNumber);
      const counted = tracked
        ? await ctx.countAttempt(head.sequenceNumber, pending.length, 1)
        : seen(head) + 1;
      if (counted === undefined) return false;
      if (counted - 1 > seen(head)) {
        // Earlier deliveries of this record never finished: the process died or lost its lease.
        attempts[head.index] = counted - 1;
        if (counted - 1 >= maxOf(head)) {
          // Its consumer stopped maxAttempts times while handling it (crash, hang or lease loss).
          const error = leaseExpiredError({ maxAttempts: maxOf(head) });
          if (!(await deadLetter(head, error, 'lease-expired'))) return false;
          pending = pending.slice(1);
          continue;
        }
        if (pending.length > 1) {
          // Deliver it alone, so a record that kills the process is isolated across restarts
          // (the count just taken is given back: settle([head]) takes its own).
          if ((await ctx.countAttempt(head.sequenceNumber, pending.length, -1)) === undefined)
            return false;
          if (!(await settle([head]))) return false;
          pending = pending.slice(1);
          continue;
        }
      }
      bump(pending);
      const result = await run(pending);
      if (result.kind === 'ok') return true;
      if (result.kind === 'stopped') {
        // A handler that settled after a shutdown abort is released: the attempt is given back.
        // One that never settled is abandoned like a crash, and its attempt counts.
        if (result.abandoned) ctx.onAbandoned();
        if (tracked && ctx.signal.reason instanceof ShutdownError && !result.abandoned)
          await ctx.countAttempt(head.sequenceNumber, pending.length, -1);
        return false;
      }
      if (result.kind === 'partial') {
        const next: ShardRecord[] = [];
        for (const r of pending) {
          const id = (r.envelope as DecodedEnvelope).id;
          if (!result.failed.has(id)) continue;
          const error = result.failed.get(id);
          if (isNonRetryable(error)) {
            if (!(await deadLetter(r, error, 'non-retryable'))) return false;
          } else if (seen(r) >= maxOf(r)) {
            if (!(await deadLetter(r, error, 'max-attempts'))) return false;
          } else next.push(r);
        }
        pending = next;
        if (pending.length > 0 && !(await backoff(pending, result.retryInMs))) return false;
        continue;
      }
      const exhausted = seen(head) >= maxOf(head);
      if (pending.length === 1) {
        if (isNonRetryable(result.error)) return deadLetter(head, result.error, 'non-retryable');
        if (exhausted) return deadLetter(head, result.error, 'max-attempts');
        if (!(await backoff(pending, requestedRetryMs(undefined, result.error)))) return false;
        continue;
      }
      if (isNonRetryable(result.error) || exhausted) return bisect(pending);
      if (!(await backoff(pending, requestedRetryMs(undefined, result.error)))) return false;
    }
    return true;
  }

  /** Tries each half once; a failing half is split again until single records are dead-lettered. */
  async function bisect(records: readonly ShardRecord[]): Promise<boolean> {
    for (const half of halves(records)) {
      if (half.length === 0) continue;
      if (ctx.stopping()) return false;
      bump(half);
      const result = await run(half);
      if (result.kind === 'ok') continue;
      if (result.kind === 'stopped') {
        if (result.abandoned) ctx.onAbandoned();
        return false;
      }
      if (result.kind === 'partial') {
        for (const r of half) {
          const id = (r.envelope as DecodedEnvelope).id;
          if (!result.failed.has(id)) continue;
          const error = result.failed.get(id);
          const reason = isNonRetryable(error) ? 'non-retryable' : 'max-attempts';
          if (!(await deadLetter(r, error, reason))) return false;
        }
        continue;
      }
      if (half.length === 1) {
        const reason = isNonRetryable(result.error) ? 'non-retryable' : 'max-attempts';
        if (!(await deadLetter(half[0] as ShardRecord, result.error, reason))) return false;
        continue;
      }
      if (!(await bisect(half))) return false;
    }
    return true;
  }

  return async (records) => {
    const live: ShardRecord[] = [];
    const now = Date.now();
    for (const r of records) {
      if (r.poison !== undefined) {
        if (!(await ctx.deadLetter(r, r.poison, 0, 'poison'))) return false;
      } else if (ctx.maxRecordAgeMs !== undefined && now - r.arrivedAt > ctx.maxRecordAgeMs) {
        const error = new Error(
          `record is ${now - r.arrivedAt} ms old, over consumer.maxRecordAgeMs (${ctx.maxRecordAgeMs})`,
        );
        if (!(await ctx.deadLetter(r, error, 0, 'max-record-age'))) return false;
      } else live.push(r);
    }
    if (live.length === 0) return true;
    const ok = await settle(live);
    for (const r of records) attempts[r.index] = 0;
    return ok;
  };
}

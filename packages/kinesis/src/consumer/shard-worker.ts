import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import { type Handler, LeaseLostError, type Logger, type Serializer } from '@mqkit/core';
import {
  errorInfo,
  type LifecycleDispatcher,
  type ResolvedConsumeOptions,
  sleep,
  type TokenBucket,
} from '@mqkit/core/provider';
import { type CheckpointStore, SHARD_END } from '../checkpoint/store.js';
import { backendError, isExpiredIterator, isThrottling } from '../errors.js';
import type { Lease, LeaseStore } from '../lease/leases.js';
import type { ResolvedKinesisOptions } from '../options.js';
import { createDelivery, type DeadLetterReason } from './deliver.js';
import { decodeRecords, laneOf, lanesPerShard, type ShardRecord } from './records.js';
import type { Semaphore } from './semaphore.js';
import { getRecords, openIterator } from './shard-reader.js';

/** Waits that only pace the loop: `stop()` ends them, they never hold the process. */
const PACING = { unref: true } as const;

/** Everything one shard loop needs; shared by the loops of a consumer. */
export interface ShardLoopContext {
  readonly provider: string;
  readonly queue: string;
  readonly streamName: string;
  readonly consumerId: string;
  readonly handler: Handler;
  readonly options: ResolvedConsumeOptions;
  readonly kinesisOptions: ResolvedKinesisOptions;
  readonly client: KinesisClient;
  readonly leases: LeaseStore;
  readonly checkpoints: CheckpointStore;
  readonly lifecycle: LifecycleDispatcher;
  readonly logger: Logger;
  readonly serializer: Serializer;
  readonly slots: Semaphore;
  readonly stopping: () => boolean;
  /** Called before every GetRecords (for `health()`'s `lastClaimAt`). */
  readonly onFetch: () => void;
  /** Shard loops the consumer runs now (each gets an equal share of `concurrency` as lanes). */
  ownedShards(): number;
  /** Handler starts per second, shared by every shard of the consumer (`rateLimit`). */
  readonly rateLimit: TokenBucket | undefined;
  /** Resolves once the stream exists (created first with `autoCreate`). */
  ready(): Promise<void>;
  deadLetter(
    record: ShardRecord,
    shardId: string,
    error: unknown,
    attempts: number,
    reason: DeadLetterReason,
  ): Promise<boolean>;
}

/** How a shard loop ended. */
export type ShardLoopEnd = 'stopped' | 'lease-lost' | 'shard-end' | 'unreadable';

/** A running shard loop. `abort` cuts it short (lease lost, or the stop timeout). */
export interface ShardLoop {
  readonly lease: Lease;
  readonly done: Promise<ShardLoopEnd>;
  abort(reason: Error): void;
  /** Ends the loop after the batch in flight is handled and checkpointed (rebalancing). */
  handOff(): void;
  /** Last time the loop made progress (a GetRecords answer, a counted attempt, a checkpoint). */
  progressAt(): number;
}

/**
 * Reads one leased shard from its checkpoint and hands its records to the handler in order,
 * checkpointing after each batch; at the shard's end it stores `SHARD_END`. It never starts from
 * the start position when the checkpoint cannot be read. The lease is released when the loop ends
 * (unless it was lost).
 */
export function runShardLoop(ctx: ShardLoopContext, lease: Lease): ShardLoop {
  const controller = new AbortController();
  // Set when a handler ignored its abort and may still be running: its lease is left to expire
  // (like a crash) instead of being released to a peer at once.
  let abandoned = false;
  const { signal } = controller;
  const shardId = lease.shardId;
  let handingOff = false;
  let progressAt = Date.now();
  const stopping = () => handingOff || ctx.stopping();
  const emitBackendError = (operation: string, error: unknown) => {
    if (ctx.lifecycle.active)
      ctx.lifecycle.emit({
        type: 'backendError',
        provider: ctx.provider,
        queue: ctx.queue,
        operation,
        error: errorInfo(error),
      });
  };
  const deliver = createDelivery({
    provider: ctx.provider,
    queue: ctx.queue,
    shardId,
    consumerId: ctx.consumerId,
    handler: ctx.handler,
    options: ctx.options,
    lifecycle: ctx.lifecycle,
    logger: ctx.logger,
    signal,
    stopping,
    slots: ctx.slots,
    rateLimit: ctx.rateLimit,
    maxRecordAgeMs: ctx.kinesisOptions.consumer.maxRecordAgeMs,
    shouldCount: (sequenceNumber) => sequenceNumber === headOfShard,
    countAttempt: async (sequenceNumber, count, delta) => {
      if (delta === -1) {
        // Giving an attempt back happens after a shutdown abort: one try, the loop is ending.
        try {
          const given = await ctx.checkpoints.countAttempt(lease, sequenceNumber, count, delta);
          return typeof given === 'number' ? given : undefined;
        } catch (error) {
          emitBackendError('count attempt', error);
          return undefined;
        }
      }
      const result = await retrying('count attempt', () =>
        ctx.checkpoints.countAttempt(lease, sequenceNumber, count, delta),
      );
      progressAt = Date.now();
      if (result === undefined || typeof result === 'string') {
        if (typeof result === 'string') controller.abort(leaseLost(result));
        return undefined;
      }
      return result;
    },
    onAbandoned: () => {
      abandoned = true;
    },
    deadLetter: (record, error, attempts, reason) =>
      ctx.deadLetter(record, shardId, error, attempts, reason),
  });

  /** Retries a Redis call with back-off while the lease lasts; `undefined` when the loop must stop. */
  async function retrying<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        return await call();
      } catch (error) {
        emitBackendError(operation, error);
        ctx.logger.warn(
          { queue: ctx.queue, shardId, err: errorInfo(error) },
          `${operation} failed; retrying`,
        );
        if (!(await sleep(Math.min(2_000, 50 * 2 ** attempt), signal, PACING))) return undefined;
      }
    }
  }

  const leaseLost = (why: string) =>
    new LeaseLostError(
      `lease of shard ${shardId} lost (${why}); its records may be delivered to another consumer`,
    );
  const ended = (): ShardLoopEnd =>
    signal.reason instanceof LeaseLostError ? 'lease-lost' : 'stopped';

  async function checkpoint(position: string): Promise<boolean> {
    const rejection = await retrying('checkpoint', () => ctx.checkpoints.write(lease, position));
    if (signal.aborted) return false;
    if (rejection === 'not-owner' || rejection === 'expired') {
      controller.abort(leaseLost(rejection));
      return false;
    }
    if (rejection !== undefined) {
      ctx.logger.warn({ queue: ctx.queue, shardId, position, rejection }, 'checkpoint refused');
      return rejection === 'shard-end' && position === SHARD_END;
    }
    progressAt = Date.now();
    if (ctx.lifecycle.active)
      ctx.lifecycle.emit({
        type: 'checkpointed',
        provider: ctx.provider,
        queue: ctx.queue,
        lease: shardId,
        position,
      });
    return true;
  }

  /** The record right after the checkpoint: the only one whose deliveries are counted. */
  let headOfShard: string | undefined;

  /**
   * Hands one GetRecords response to the handler: batches of `batchSize` in
   * {@link lanesPerShard} lanes (records of one partition key share a lane, so each key keeps its
   * order), and checkpoints after each batch to the highest sequence number below which every
   * record is handled. Each batch is decoded just before its delivery. True when every record was
   * handled or dead-lettered.
   */
  async function handleRecords(records: readonly _Record[]): Promise<boolean> {
    const { batchSize } = ctx.options;
    const lanes = lanesPerShard(ctx.options.concurrency, ctx.ownedShards());
    // Each lane lists the positions of its records in the response, in order.
    const byLane: number[][] = Array.from({ length: lanes }, () => []);
    for (let i = 0; i < records.length; i++)
      (byLane[laneOf((records[i] as _Record).PartitionKey ?? '', lanes)] as number[]).push(i);
    const done = new Array<boolean>(records.length).fill(false);
    let low = 0;
    let failed = false;
    headOfShard = records[0]?.SequenceNumber;
    // Checkpoints are written one after another, each only forward.
    let written: Promise<boolean> = Promise.resolve(true);
    const advance = (): void => {
      const before = low;
      while (low < records.length && done[low]) low++;
      headOfShard = records[low]?.SequenceNumber;
      if (low === before) return;
      const position = (records[low - 1] as _Record).SequenceNumber ?? '';
      written = written.then((ok) => ok && checkpoint(position));
    };
    await Promise.all(
      byLane.map(async (lane) => {
        for (let i = 0; i < lane.length; i += batchSize) {
          if (failed || stopping() || signal.aborted) return;
          const chunk = decodeRecords(records, ctx.serializer, lane.slice(i, i + batchSize));
          if (!(await deliver(chunk))) {
            failed = true;
            return;
          }
          for (const r of chunk) done[r.index] = true;
          advance();
        }
      }),
    );
    const checkpointed = await written;
    return checkpointed && !failed && low === records.length;
  }

  async function loop(): Promise<ShardLoopEnd> {
    let stored: Awaited<ReturnType<CheckpointStore['read']>>;
    try {
      stored = await ctx.checkpoints.read(shardId);
    } catch (error) {
      // "Unreadable" is not "no checkpoint": restarting from the start position would replay or
      // skip the shard. Stop it loudly; the consumer retries it later.
      emitBackendError('read checkpoint', error);
      ctx.logger.error(
        { queue: ctx.queue, shardId, err: errorInfo(error) },
        'checkpoint store unreadable: shard not consumed (it is not restarted from the start position)',
      );
      return 'unreadable';
    }
    if (stored?.position === SHARD_END) return 'shard-end';
    let last = stored?.position;
    const { getRecordsIntervalMs, getRecordsLimit, startPosition } = ctx.kinesisOptions.consumer;
    let iterator: string | undefined;
    let idleMs = ctx.options.minPollIntervalMs;
    // A shard taken over from a peer waits one pacing window: the peer's last GetRecords calls
    // and ours must not add up past 5 calls/s on the shard.
    let nextCall = lease.fence > 1 ? Date.now() + 1_000 : 0;
    let failures = 0;
    while (!stopping() && !signal.aborted) {
      // Timers may fire a millisecond early: sleep until the pacing window has really passed, or
      // the sixth call of a second lands at t+999 ms and the shard sees 6 GetRecords/s.
      if (!(await sleepUntil(nextCall, signal))) break;
      if (stopping()) break;
      nextCall = Date.now() + getRecordsIntervalMs;
      let response: Awaited<ReturnType<typeof getRecords>>;
      try {
        if (iterator === undefined) {
          iterator = await openIterator(ctx.client, ctx.streamName, shardId, last, startPosition);
          if (iterator === undefined) return (await checkpoint(SHARD_END)) ? 'shard-end' : ended();
          // Pace from the GetRecords call itself, not from before the iterator was opened: the
          // previous call is already a full interval back, and the next one must be too.
          nextCall = Date.now() + getRecordsIntervalMs;
        }
        ctx.onFetch();
        response = await getRecords(ctx.client, iterator, getRecordsLimit);
        progressAt = Date.now();
        failures = 0;
      } catch (error) {
        if (isExpiredIterator(error)) {
          iterator = undefined; // re-created after the last handled record
          continue;
        }
        failures++;
        const delayMs = Math.min(ctx.options.pollIntervalMs * 5, 100 * 2 ** Math.min(failures, 10));
        if (isThrottling(error)) {
          if (ctx.lifecycle.active)
            ctx.lifecycle.emit({
              type: 'throttled',
              provider: ctx.provider,
              queue: ctx.queue,
              operation: 'GetRecords',
              retryInMs: delayMs,
            });
        } else {
          emitBackendError('GetRecords', error);
          ctx.logger.warn(
            { queue: ctx.queue, shardId, err: errorInfo(backendError('GetRecords', error)) },
            'GetRecords failed; retrying',
          );
          iterator = undefined;
        }
        if (!(await sleep(delayMs, signal, PACING))) break;
        continue;
      }
      if (ctx.lifecycle.active && response.MillisBehindLatest !== undefined)
        ctx.lifecycle.emit({
          type: 'shardLag',
          provider: ctx.provider,
          queue: ctx.queue,
          shard: shardId,
          millisBehindLatest: response.MillisBehindLatest,
        });
      const records = response.Records ?? [];
      if (records.length > 0) {
        if (!(await handleRecords(records))) return ended();
        last = (records[records.length - 1] as _Record).SequenceNumber ?? '';
      }
      iterator = response.NextShardIterator;
      if (iterator === undefined || iterator === null) {
        return (await checkpoint(SHARD_END)) ? 'shard-end' : ended();
      }
      if (records.length === 0) {
        if (!(await sleep(idleMs, signal, PACING))) break;
        idleMs = Math.min(ctx.options.pollIntervalMs, idleMs * 2);
      } else idleMs = ctx.options.minPollIntervalMs;
    }
    return ended();
  }

  const done = loop().then(async (end) => {
    if (end !== 'lease-lost' && !abandoned) {
      try {
        if (await ctx.leases.release(lease)) {
          if (ctx.lifecycle.active)
            ctx.lifecycle.emit({
              type: 'leaseReleased',
              provider: ctx.provider,
              queue: ctx.queue,
              lease: shardId,
              owner: ctx.consumerId,
            });
        }
      } catch (error) {
        emitBackendError('release lease', error);
      }
    }
    return end;
  });
  return {
    lease,
    done,
    abort: (reason) => controller.abort(reason),
    handOff: () => {
      handingOff = true;
    },
    progressAt: () => progressAt,
  };
}

/** Sleeps until `Date.now() >= at` (re-sleeping after an early timer); false when aborted. */
async function sleepUntil(at: number, signal: AbortSignal): Promise<boolean> {
  for (let wait = at - Date.now(); wait > 0; wait = at - Date.now()) {
    if (!(await sleep(wait, signal, PACING))) return false;
  }
  return !signal.aborted;
}

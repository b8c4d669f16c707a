import {
  type BatchResult,
  type Handler,
  HandlerTimeoutError,
  type Logger,
  type Message,
  type MessageInfo,
  ShutdownError,
} from '@mqkit/core';
import {
  computeBackoffMs,
  errorInfo,
  isNonRetryable,
  type LifecycleDispatcher,
  leaseExpiredError,
  type ResolvedConsumeOptions,
  requestedRetryMs,
  type TokenBucket,
} from '@mqkit/core/provider';
import { halves, type ShardRecord } from './records.js';
import { type Semaphore, sleepUnlessAborted } from './semaphore.js';

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

type RunResult =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'partial';
      readonly failed: ReadonlyMap<string, unknown>;
      /** The longest `retryInMs` a failed item asked for (a Retry-After), if any. */
      readonly retryInMs: number | undefined;
    }
  | { readonly kind: 'threw'; readonly error: unknown }
  /** Cut short by lease loss or shutdown; `abandoned` when the handler never settled. */
  | { readonly kind: 'stopped'; readonly abandoned: boolean };

const info = (m: Message): MessageInfo => ({
  id: m.id,
  type: m.type,
  attempt: m.attempt,
  createdAt: m.createdAt,
  partitionKey: m.partitionKey,
});

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
  const attempts = new Map<string, number>();
  const maxOf = (r: ShardRecord): number => r.message?.maxAttempts ?? ctx.options.retry.maxAttempts;

  async function run(records: readonly ShardRecord[]): Promise<RunResult> {
    const messages = records.map((r) => ({
      ...(r.message as Message),
      attempt: attempts.get(r.sequenceNumber) ?? 1,
    }));
    await ctx.slots.acquire();
    if (ctx.rateLimit !== undefined) {
      while (ctx.rateLimit.take(1, Date.now()) < 1)
        await sleepUnlessAborted(Math.max(1, ctx.rateLimit.msUntilNext(Date.now())), ctx.signal);
    }
    const started = Date.now();
    const controller = new AbortController();
    const onOuter = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) controller.abort(ctx.signal.reason);
    else ctx.signal.addEventListener('abort', onOuter, { once: true });
    const timer = setTimeout(
      () => controller.abort(new HandlerTimeoutError(ctx.options.handlerTimeoutMs)),
      ctx.options.handlerTimeoutMs,
    );
    timer.unref();
    if (ctx.lifecycle.active)
      ctx.lifecycle.emit({
        type: 'delivered',
        provider: ctx.provider,
        queue: ctx.queue,
        consumerId: ctx.consumerId,
        messages: messages.map(info),
      });
    const invoke = async () =>
      // Frozen, like the kit's handler context: a handler cannot change what the loop holds.
      ctx.handler(
        messages,
        Object.freeze({ signal: controller.signal, queue: ctx.queue, consumerId: ctx.consumerId }),
      );
    // Trace context (LifecycleProvider.aroundHandler) wraps the handler call, as in the kit's loop.
    const around = ctx.lifecycle.aroundHandler;
    const call =
      around === undefined
        ? invoke()
        : around(
            { provider: ctx.provider, queue: ctx.queue, consumerId: ctx.consumerId, messages },
            invoke,
          );
    type Settled = { ok: true; value: void | BatchResult } | { ok: false; error: unknown };
    const settled: Promise<Settled> = call.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const aborted = new Promise<'aborted'>((resolve) => {
      if (controller.signal.aborted) resolve('aborted');
      else controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let outcome = await Promise.race([settled, aborted]);
    if (outcome === 'aborted' && controller.signal.reason instanceof ShutdownError) {
      // Shutdown: the handler gets one more second to settle on its own.
      const grace = new Promise<'aborted'>((resolve) =>
        setTimeout(() => resolve('aborted'), 1_000).unref(),
      );
      outcome = await Promise.race([settled, grace]);
    }
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onOuter);
    ctx.slots.release();
    const finishedAt = Date.now();
    const durationMs = finishedAt - started;
    let result: RunResult;
    if (outcome === 'aborted') {
      const reason = controller.signal.reason;
      result =
        reason instanceof HandlerTimeoutError
          ? { kind: 'threw', error: reason }
          : // Only a handler that ignored a shutdown past its grace is abandoned like a crash; lease
            // loss, hand-off and watchdog aborts end the loop through their own lease path.
            { kind: 'stopped', abandoned: reason instanceof ShutdownError };
    } else if (!outcome.ok) {
      result = ctx.signal.aborted
        ? { kind: 'stopped', abandoned: false }
        : { kind: 'threw', error: outcome.error };
    } else if (
      outcome.value &&
      Array.isArray(outcome.value.failed) &&
      outcome.value.failed.length > 0
    ) {
      const ids = new Set(messages.map((m) => m.id));
      const failed = new Map<string, unknown>();
      let retryInMs: number | undefined;
      for (const item of outcome.value.failed) {
        if (!ids.has(item.id)) continue;
        failed.set(item.id, item.error);
        const asked = requestedRetryMs(item.retryInMs, item.error);
        if (asked !== undefined) retryInMs = Math.max(retryInMs ?? 0, asked);
      }
      result = failed.size > 0 ? { kind: 'partial', failed, retryInMs } : { kind: 'ok' };
    } else result = { kind: 'ok' };
    const failedIds: ReadonlyMap<string, unknown> =
      result.kind === 'partial'
        ? result.failed
        : result.kind === 'threw'
          ? new Map(messages.map((m) => [m.id, result.error]))
          : new Map();
    for (const [id, error] of failedIds) {
      const m = messages.find((x) => x.id === id) as Message;
      ctx.logger.debug(
        {
          queue: ctx.queue,
          consumerId: ctx.consumerId,
          id,
          type: m.type,
          attempt: m.attempt,
          err: errorInfo(error),
        },
        'message failed',
      );
    }
    if (ctx.lifecycle.active) {
      const succeeded =
        result.kind === 'stopped' ? [] : messages.filter((m) => !failedIds.has(m.id));
      if (succeeded.length > 0)
        ctx.lifecycle.emit({
          type: 'succeeded',
          provider: ctx.provider,
          queue: ctx.queue,
          consumerId: ctx.consumerId,
          messages: succeeded.map(info),
          durationMs,
          finishedAt,
        });
      for (const m of messages) {
        if (!failedIds.has(m.id)) continue;
        const error = failedIds.get(m.id);
        const willRetry = !isNonRetryable(error) && m.attempt < m.maxAttempts;
        ctx.lifecycle.emit({
          type: 'failed',
          provider: ctx.provider,
          queue: ctx.queue,
          consumerId: ctx.consumerId,
          message: info(m),
          error: errorInfo(error),
          durationMs,
          finishedAt,
          willRetry,
        });
      }
    }
    return result;
  }

  const bump = (records: readonly ShardRecord[]): void => {
    for (const r of records)
      attempts.set(r.sequenceNumber, (attempts.get(r.sequenceNumber) ?? 0) + 1);
  };

  async function deadLetter(
    record: ShardRecord,
    error: unknown,
    reason: DeadLetterReason,
  ): Promise<boolean> {
    return ctx.deadLetter(record, error, attempts.get(record.sequenceNumber) ?? 0, reason);
  }

  /** Waits before the next in-place attempt: the handler's `retryInMs` (capped), else back-off. */
  async function backoff(records: readonly ShardRecord[], requested?: number): Promise<boolean> {
    if (ctx.stopping()) return false;
    const attempt = Math.max(...records.map((r) => attempts.get(r.sequenceNumber) ?? 1));
    const { backoff: policy } = ctx.options.retry;
    const delayMs =
      requested !== undefined
        ? Math.min(Math.round(requested), policy.maxMs)
        : computeBackoffMs(attempt, policy);
    if (ctx.lifecycle.active) {
      for (const r of records) {
        const m = r.message as Message;
        ctx.lifecycle.emit({
          type: 'retried',
          provider: ctx.provider,
          queue: ctx.queue,
          message: info({ ...m, attempt: attempts.get(r.sequenceNumber) ?? 1 }),
          delayMs,
        });
      }
    }
    return (await sleepUnlessAborted(delayMs, ctx.signal)) && !ctx.stopping();
  }

  /** Retries `records` in place; past maxAttempts, bisects. */
  async function settle(initial: readonly ShardRecord[]): Promise<boolean> {
    let pending = [...initial];
    while (pending.length > 0) {
      const head = pending[0] as ShardRecord;
      const tracked = ctx.shouldCount(head.sequenceNumber);
      const counted = tracked
        ? await ctx.countAttempt(head.sequenceNumber, pending.length, 1)
        : (attempts.get(head.sequenceNumber) ?? 0) + 1;
      if (counted === undefined) return false;
      const seen = attempts.get(head.sequenceNumber) ?? 0;
      if (counted - 1 > seen) {
        // Earlier deliveries of this record never finished: the process died or lost its lease.
        attempts.set(head.sequenceNumber, counted - 1);
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
          const id = (r.message as Message).id;
          if (!result.failed.has(id)) continue;
          const error = result.failed.get(id);
          if (isNonRetryable(error)) {
            if (!(await deadLetter(r, error, 'non-retryable'))) return false;
          } else if ((attempts.get(r.sequenceNumber) ?? 0) >= maxOf(r)) {
            if (!(await deadLetter(r, error, 'max-attempts'))) return false;
          } else next.push(r);
        }
        pending = next;
        if (pending.length > 0 && !(await backoff(pending, result.retryInMs))) return false;
        continue;
      }
      const exhausted = (attempts.get(head.sequenceNumber) ?? 0) >= maxOf(head);
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
          const id = (r.message as Message).id;
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
    for (const r of records) attempts.delete(r.sequenceNumber);
    return ok;
  };
}

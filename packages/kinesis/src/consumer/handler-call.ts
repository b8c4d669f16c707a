import { type BatchResult, HandlerTimeoutError, type Message, ShutdownError } from '@mqkit/core';
import {
  errorInfo,
  isNonRetryable,
  messageInfo,
  messageInfoList,
  requestedRetryMs,
  sleep,
} from '@mqkit/core/provider';
import type { DeliveryContext } from './deliver.js';
import { messageOf, type ShardRecord } from './records.js';

/** How one handler call ended. */
export type RunResult =
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

/**
 * One handler call for `records` (each delivered with `attemptOf(record)`): takes a concurrency
 * slot and a rate-limit token, aborts the handler through `ctx.signal` on timeout, lease loss or
 * shutdown (a shutdown gives it one more second), and emits `delivered`, `succeeded` and `failed`.
 * Never rejects: the outcome is a {@link RunResult}.
 */
export function createHandlerCall(
  ctx: DeliveryContext,
  attemptOf: (record: ShardRecord) => number,
): (records: readonly ShardRecord[]) => Promise<RunResult> {
  return async function run(records: readonly ShardRecord[]): Promise<RunResult> {
    const messages = new Array<Message>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as ShardRecord;
      messages[i] = messageOf(
        r,
        ctx.queue,
        ctx.shardId,
        attemptOf(r),
        ctx.options.retry.maxAttempts,
      );
    }
    await ctx.slots.acquire();
    if (ctx.rateLimit !== undefined) {
      while (ctx.rateLimit.take(1, Date.now()) < 1)
        await sleep(Math.max(1, ctx.rateLimit.msUntilNext(Date.now())), ctx.signal, {
          unref: true,
        });
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
        messages: messageInfoList(messages),
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
          messages: messageInfoList(succeeded),
          durationMs,
          calls: 1,
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
          message: messageInfo(m),
          error: errorInfo(error),
          durationMs,
          finishedAt,
          willRetry,
        });
      }
    }
    return result;
  };
}

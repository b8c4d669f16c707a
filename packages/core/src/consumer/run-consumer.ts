import { randomUUID } from 'node:crypto';
import { computeBackoffMs } from '../backoff.js';
import { errorInfo } from '../error-info.js';
import {
  ConfigurationError,
  ErrorCode,
  HandlerTimeoutError,
  LeaseLostError,
  ShutdownError,
} from '../errors.js';
import type { LifecycleDispatcher, MessageInfo } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { describe, type ResolvedConsumeOptions } from '../options.js';
import type {
  BatchResult,
  Consumer,
  Handler,
  HandlerContext,
  Message,
  StopOptions,
} from '../types.js';
import type { Claim, ConsumerBackend, Outcomes } from './backend.js';
import { TokenBucket } from './token-bucket.js';

/** Everything {@link runConsumer} needs. */
export interface RunConsumerParams<C extends Claim> {
  readonly backend: ConsumerBackend<C>;
  /** Queue name as the application sees it. */
  readonly queue: string;
  readonly handler: Handler<C['message']>;
  readonly options: ResolvedConsumeOptions;
  readonly provider: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  /** Called once the consumer has fully stopped (providers forget it then). */
  readonly onStopped?: () => void;
}

/** How long aborted handlers get to settle at the end of `stop()` before they are abandoned. */
const ABORT_GRACE_MS = 1_000;
/** Attempts at writing outstanding outcomes during `stop()` when the backend fails. */
const FINAL_SETTLE_ATTEMPTS = 3;

type RunState = 'running' | 'timedOut' | 'lost' | 'aborted' | 'abandoned' | 'done';

class Run<C extends Claim> implements HandlerContext {
  state: RunState = 'running';
  private controller: AbortController | undefined;
  private abortReason: unknown;

  constructor(
    readonly claims: C[],
    readonly startedAt: number,
    readonly deadline: number,
    readonly queue: string,
    readonly consumerId: string,
  ) {}

  // Created on first access: most handlers never look at the signal, and an AbortController per
  // batch is measurable at hundreds of thousands of messages per second.
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

const emptyOutcomes = <C extends Claim>(): Outcomes<C> => ({
  acked: [],
  retried: [],
  deadLettered: [],
  released: [],
});
const outcomeCount = (o: Outcomes<Claim>): number =>
  o.acked.length + o.retried.length + o.deadLettered.length + o.released.length;

function isNonRetryable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { code?: unknown }).code === ErrorCode.NON_RETRYABLE ||
      (error as Error).name === 'NonRetryableError')
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The consume loop shared by every lease-based provider: claims up to `concurrency × batchSize`
 * messages at a time, runs handlers within the concurrency limit (and optional rate limit),
 * extends leases by heartbeat, aborts handlers on timeout, lease loss and shutdown, writes
 * outcomes in batches, retries with back-off, dead-letters, backs off on idle and opens a
 * circuit on repeated backend failures. Returns the {@link Consumer} handle at once.
 */
export function runConsumer<C extends Claim>(params: RunConsumerParams<C>): Consumer {
  const { backend, queue, handler, options, provider, logger, lifecycle } = params;
  const consumerId = randomUUID();
  const running = new Set<Run<C>>();
  /** Claimed messages not yet handed to a handler (only with `prefetch`, or while rate-limited). */
  let buffer: C[] = [];
  const loopAbort = new AbortController();
  const bucket = options.rateLimit
    ? new TokenBucket(options.rateLimit.perSecond, options.rateLimit.burst, Date.now())
    : undefined;

  let stopRequested = false;
  let stopPromise: Promise<void> | undefined;
  let slotWaiter: (() => void) | undefined;
  let idleDelay = options.minPollIntervalMs;
  let consecutiveFailures = 0;
  let circuitOpen = false;

  let pending = emptyOutcomes<C>();
  let settling: Outcomes<C> | undefined;
  let settleScheduled = false;
  let settleFailures = 0;
  let settleIdle: (() => void) | undefined;

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const info = (m: Message): MessageInfo => ({
    id: m.id,
    type: m.type,
    attempt: m.attempt,
    createdAt: m.createdAt,
    partitionKey: m.partitionKey,
  });

  const wakeLoop = (): void => {
    const waiter = slotWaiter;
    slotWaiter = undefined;
    waiter?.();
  };

  // ---- outcomes -------------------------------------------------------------------------

  const scheduleSettle = (): void => {
    if (settleScheduled || settling !== undefined) return;
    settleScheduled = true;
    queueMicrotask(() => void writeOutcomes());
  };

  async function writeOutcomes(): Promise<void> {
    settleScheduled = false;
    if (settling !== undefined) return;
    if (outcomeCount(pending) === 0) {
      settleIdle?.();
      return;
    }
    const batch = pending;
    pending = emptyOutcomes<C>();
    settling = batch;
    try {
      await backend.settle(batch);
      settleFailures = 0;
    } catch (error) {
      settleFailures++;
      reportBackendError('settle', error);
      // Keep the outcomes (leases stay extended by the heartbeat) and try again after a back-off.
      pending = {
        acked: [...batch.acked, ...pending.acked],
        retried: [...batch.retried, ...pending.retried],
        deadLettered: [...batch.deadLettered, ...pending.deadLettered],
        released: [...batch.released, ...pending.released],
      };
      settling = undefined;
      if (stopRequested && settleFailures >= FINAL_SETTLE_ATTEMPTS && running.size === 0) {
        logger.error(
          { queue, consumerId, count: outcomeCount(pending) },
          'giving up writing outcomes at stop; leases will expire and the messages will be redelivered',
        );
        pending = emptyOutcomes<C>();
        settleIdle?.();
        return;
      }
      await sleep(
        Math.min(options.pollIntervalMs, options.minPollIntervalMs * 2 ** settleFailures),
        stopRequested ? new AbortController().signal : loopAbort.signal,
      );
      void writeOutcomes();
      return;
    }
    settling = undefined;
    if (outcomeCount(pending) > 0) scheduleSettle();
    else settleIdle?.();
  }

  function succeed(run: Run<C>, claims: C[]): void {
    for (const claim of claims) pending.acked.push(claim);
    if (lifecycle.active && claims.length > 0) {
      lifecycle.emit({
        type: 'succeeded',
        provider,
        queue,
        consumerId,
        messages: claims.map((c) => info(c.message)),
        durationMs: Date.now() - run.startedAt,
      });
    }
  }

  function fail(run: Run<C>, claim: C, error: unknown): void {
    const message = claim.message;
    const err = errorInfo(error);
    const permanent = isNonRetryable(error);
    const willRetry = !permanent && message.attempt < message.maxAttempts;
    logger.debug(
      {
        queue,
        consumerId,
        id: message.id,
        type: message.type,
        attempt: message.attempt,
        willRetry,
        err,
      },
      'message failed',
    );
    if (lifecycle.active) {
      lifecycle.emit({
        type: 'failed',
        provider,
        queue,
        consumerId,
        message: info(message),
        error: err,
        durationMs: Date.now() - run.startedAt,
        willRetry,
      });
    }
    if (willRetry) {
      const delayMs = computeBackoffMs(message.attempt, options.retry.backoff);
      pending.retried.push({ claim, delayMs, error: err });
      if (lifecycle.active)
        lifecycle.emit({ type: 'retried', provider, queue, message: info(message), delayMs });
    } else {
      pending.deadLettered.push({ claim, error: err });
      logger.warn(
        { queue, id: message.id, type: message.type, attempt: message.attempt, err },
        'message dead-lettered',
      );
      if (lifecycle.active)
        lifecycle.emit({
          type: 'deadLettered',
          provider,
          queue,
          message: info(message),
          error: err,
          reason: permanent ? 'non-retryable' : 'max-attempts',
        });
    }
  }

  function applyResult(
    run: Run<C>,
    threw: boolean,
    error: unknown,
    result: void | BatchResult,
  ): void {
    if (threw) {
      for (const claim of run.claims) fail(run, claim, error);
      return;
    }
    const failed = result?.failed;
    if (failed === undefined || failed.length === 0) {
      succeed(run, run.claims);
      return;
    }
    const errors = new Map<string, unknown>();
    for (const item of failed) errors.set(item.id, item.error);
    const ok: C[] = [];
    for (const claim of run.claims) {
      if (errors.has(claim.message.id)) fail(run, claim, errors.get(claim.message.id));
      else ok.push(claim);
    }
    if (errors.size > run.claims.length - ok.length) {
      logger.warn(
        { queue, consumerId },
        'handler reported failed ids that are not in its batch; they were ignored',
      );
    }
    succeed(run, ok);
  }

  // ---- handler runs ---------------------------------------------------------------------

  function finish(run: Run<C>): void {
    running.delete(run);
    // Refill the slot from claims held ahead (prefetch) at once; the loop tops the buffer up.
    if (buffer.length > 0) startFromBuffer();
    wakeLoop();
    scheduleSettle();
  }

  /** Starts handlers from the buffer while slots (and rate-limit tokens) allow. */
  function startFromBuffer(): void {
    while (!stopRequested && buffer.length > 0 && running.size < options.concurrency) {
      if (bucket !== undefined && bucket.take(1, Date.now()) === 0) return;
      if (options.batchSize === 1) start([buffer.shift() as C]);
      else start(buffer.splice(0, options.batchSize));
    }
  }

  async function execute(run: Run<C>): Promise<void> {
    let threw = false;
    let error: unknown;
    let result: BatchResult | undefined;
    try {
      result = (await handler(
        run.claims.map((c) => c.message),
        run,
      )) as BatchResult | undefined;
    } catch (e) {
      threw = true;
      error = e;
    }
    switch (run.state) {
      case 'running':
        run.state = 'done';
        applyResult(run, threw, error, result);
        finish(run);
        return;
      case 'aborted':
        // Aborted by stop(): work that completed is acknowledged, the rest is given back unprocessed.
        run.state = 'done';
        if (threw) for (const claim of run.claims) pending.released.push(claim);
        else applyResult(run, false, undefined, result);
        finish(run);
        return;
      default:
        // Timed out (already failed), lease lost (no longer ours) or abandoned: nothing to write.
        return;
    }
  }

  function start(claims: C[]): void {
    const now = Date.now();
    const run = new Run<C>(claims, now, now + options.handlerTimeoutMs, queue, consumerId);
    running.add(run);
    if (lifecycle.active)
      lifecycle.emit({
        type: 'delivered',
        provider,
        queue,
        consumerId,
        messages: claims.map((c) => info(c.message)),
      });
    void execute(run);
  }

  // ---- timers: handler timeout sweep and lease heartbeat ---------------------------------

  const sweepEvery = Math.min(1_000, Math.max(5, Math.floor(options.handlerTimeoutMs / 4)));
  const sweepTimer = setInterval(() => {
    const now = Date.now();
    for (const run of running) {
      if (run.state !== 'running' || run.deadline > now) continue;
      run.state = 'timedOut';
      const error = new HandlerTimeoutError(options.handlerTimeoutMs);
      run.abort(error);
      logger.warn(
        { queue, consumerId, count: run.claims.length, timeoutMs: options.handlerTimeoutMs },
        'handler timed out; its batch failed',
      );
      for (const claim of run.claims) fail(run, claim, error);
      finish(run);
    }
  }, sweepEvery);
  sweepTimer.unref();

  let heartbeatBusy = false;
  let lastHeartbeatOk = Date.now();
  const heartbeatTimer = setInterval(() => {
    if (heartbeatBusy) return;
    const held: C[] = [];
    const owner = new Map<C, Run<C>>();
    for (const run of running) {
      if (run.state !== 'running' && run.state !== 'aborted') continue;
      for (const claim of run.claims) {
        held.push(claim);
        owner.set(claim, run);
      }
    }
    for (const claim of buffer) held.push(claim);
    for (const o of settling ? [settling, pending] : [pending]) {
      for (const c of o.acked) held.push(c);
      for (const c of o.released) held.push(c);
      for (const r of o.retried) held.push(r.claim);
      for (const d of o.deadLettered) held.push(d.claim);
    }
    if (held.length === 0) {
      lastHeartbeatOk = Date.now();
      return;
    }
    heartbeatBusy = true;
    backend.extend(held, options.visibilityTimeoutMs).then(
      (lost) => {
        heartbeatBusy = false;
        lastHeartbeatOk = Date.now();
        if (lost.length > 0 && buffer.length > 0) {
          // A prefetched message whose lease lapsed may already be another consumer's: drop it.
          const gone = new Set(lost);
          buffer = buffer.filter((claim) => !gone.has(claim));
        }
        for (const claim of lost) {
          const run = owner.get(claim);
          if (run !== undefined && (run.state === 'running' || run.state === 'aborted'))
            loseLease(run);
        }
      },
      (error: unknown) => {
        heartbeatBusy = false;
        const err = errorInfo(error);
        logger.warn({ queue, consumerId, err }, 'lease heartbeat failed; retrying');
        if (lifecycle.active)
          lifecycle.emit({ type: 'heartbeatFailed', provider, queue, consumerId, error: err });
        // Past the lease, another consumer may own these messages: stop working on them.
        if (Date.now() - lastHeartbeatOk >= options.visibilityTimeoutMs) {
          buffer = [];
          for (const run of running)
            if (run.state === 'running' || run.state === 'aborted') loseLease(run);
        }
      },
    );
  }, options.heartbeatIntervalMs);
  heartbeatTimer.unref();

  function loseLease(run: Run<C>): void {
    run.state = 'lost';
    run.abort(new LeaseLostError());
    logger.warn(
      { queue, consumerId, count: run.claims.length },
      'lease lost while the handler ran; the messages may be redelivered',
    );
    if (lifecycle.active) {
      for (const claim of run.claims)
        lifecycle.emit({
          type: 'leaseLost',
          provider,
          queue,
          lease: claim.message.id,
          owner: consumerId,
        });
    }
    finish(run);
  }

  // ---- backend failures ------------------------------------------------------------------

  function reportBackendError(operation: string, error: unknown): void {
    const err = errorInfo(error);
    logger.warn({ queue, consumerId, operation, err }, 'backend operation failed; backing off');
    if (lifecycle.active)
      lifecycle.emit({ type: 'backendError', provider, queue, operation, error: err });
  }

  async function onClaimFailure(error: unknown): Promise<void> {
    consecutiveFailures++;
    reportBackendError('claim', error);
    const { failureThreshold, resetTimeoutMs } = options.circuitBreaker;
    let delay = Math.min(
      options.pollIntervalMs,
      options.minPollIntervalMs * 2 ** consecutiveFailures,
    );
    if (consecutiveFailures >= failureThreshold) {
      delay = resetTimeoutMs;
      if (!circuitOpen) {
        circuitOpen = true;
        logger.error(
          { queue, consumerId, consecutiveFailures, retryInMs: delay },
          'circuit opened: backend keeps failing',
        );
        if (lifecycle.active)
          lifecycle.emit({
            type: 'circuitOpened',
            provider,
            queue,
            consecutiveFailures,
            retryInMs: delay,
          });
      }
    }
    await sleep(delay, loopAbort.signal);
  }

  function onClaimSuccess(): void {
    consecutiveFailures = 0;
    if (circuitOpen) {
      circuitOpen = false;
      logger.warn({ queue, consumerId }, 'circuit closed: backend recovered');
      if (lifecycle.active) lifecycle.emit({ type: 'circuitClosed', provider, queue });
    }
  }

  // ---- the loop --------------------------------------------------------------------------

  async function loop(): Promise<void> {
    while (!stopRequested) {
      startFromBuffer();
      const free = options.concurrency - running.size;
      if (free > 0 && buffer.length > 0) {
        // Slots are free and messages are waiting: only the rate limit holds them back.
        await sleep(bucket?.msUntilNext(Date.now()) ?? 1, loopAbort.signal);
        continue;
      }
      // Claim what free slots can start now (as many as rate-limit tokens allow), plus prefetch.
      const startable = bucket === undefined ? free : Math.min(free, bucket.available(Date.now()));
      const want = startable * options.batchSize + options.prefetch - buffer.length;
      if (want <= 0) {
        if (free > 0) await sleep(bucket?.msUntilNext(Date.now()) ?? 1, loopAbort.signal);
        else
          await new Promise<void>((resolve) => {
            slotWaiter = resolve;
          });
        continue;
      }
      let claims: C[];
      try {
        claims = await backend.claim(want, options.visibilityTimeoutMs);
      } catch (error) {
        await onClaimFailure(error);
        continue;
      }
      onClaimSuccess();
      if (stopRequested) {
        for (const claim of claims) pending.released.push(claim);
        scheduleSettle();
        break;
      }
      if (claims.length === 0) {
        if (backend.waitForWork) await backend.waitForWork(idleDelay, loopAbort.signal);
        else await sleep(idleDelay, loopAbort.signal);
        idleDelay = Math.min(options.pollIntervalMs, idleDelay * 2);
        continue;
      }
      idleDelay = options.minPollIntervalMs;
      if (buffer.length === 0) buffer = claims;
      else for (const claim of claims) buffer.push(claim);
    }
  }

  // ---- stop ------------------------------------------------------------------------------

  function whenRunningEmpty(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (running.size === 0 || Date.now() >= deadline) resolve();
        else setTimeout(check, Math.min(10, Math.max(1, deadline - Date.now())));
      };
      check();
    });
  }

  function whenSettled(): Promise<void> {
    return new Promise((resolve) => {
      settleIdle = () => {
        if (outcomeCount(pending) === 0 && settling === undefined) resolve();
      };
      if (outcomeCount(pending) === 0 && settling === undefined) resolve();
      else scheduleSettle();
    });
  }

  const loopDone = Promise.resolve()
    .then(loop)
    .catch((error: unknown) => {
      logger.error(
        { queue, consumerId, err: errorInfo(error) },
        'consume loop crashed; stopping the consumer',
      );
      void stop({ timeoutMs: 0 });
    });
  logger.debug({ queue, consumerId, provider }, 'consumer started');
  if (lifecycle.active) lifecycle.emit({ type: 'consumerStarted', provider, queue, consumerId });

  function stop(stopOptions?: StopOptions): Promise<void> {
    if (stopPromise !== undefined) return stopPromise;
    const timeoutMs = stopOptions?.timeoutMs ?? 30_000;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new ConfigurationError(
          'timeoutMs',
          `[@mqkit/${provider}] option "timeoutMs" of stop() must be a finite number ≥ 0 (got ${describe(timeoutMs)})`,
        ),
      );
    }
    stopRequested = true;
    loopAbort.abort();
    wakeLoop();
    stopPromise = (async () => {
      await loopDone;
      // Prefetched messages were never handed to a handler: give them back without an attempt.
      for (const claim of buffer) pending.released.push(claim);
      buffer = [];
      await whenRunningEmpty(timeoutMs);
      if (running.size > 0) {
        logger.warn(
          { queue, consumerId, count: running.size },
          'stop timeout reached; aborting running handlers',
        );
        for (const run of running) {
          if (run.state !== 'running') continue;
          run.state = 'aborted';
          run.abort(new ShutdownError());
        }
        await whenRunningEmpty(ABORT_GRACE_MS);
        for (const run of running) {
          run.state = 'abandoned';
          logger.warn(
            { queue, consumerId, count: run.claims.length },
            'handler ignored its abort signal; its messages will be redelivered after the lease expires',
          );
        }
        running.clear();
      }
      await whenSettled();
      clearInterval(sweepTimer);
      clearInterval(heartbeatTimer);
      try {
        await backend.close?.();
      } catch (error) {
        logger.warn(
          { queue, consumerId, err: errorInfo(error) },
          'closing the consumer backend failed',
        );
      }
      logger.debug({ queue, consumerId }, 'consumer stopped');
      if (lifecycle.active)
        lifecycle.emit({ type: 'consumerStopped', provider, queue, consumerId });
      params.onStopped?.();
      resolveStopped();
    })();
    return stopPromise;
  }

  return {
    id: consumerId,
    queue,
    get running() {
      return !stopRequested;
    },
    stopped,
    stop,
  };
}

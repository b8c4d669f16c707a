import { randomUUID } from 'node:crypto';
import { errorInfo } from '../error-info.js';
import { HandlerTimeoutError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { type ResolvedConsumeOptions, resolveStopTimeout } from '../options.js';
import type { Serializer } from '../serializer.js';
import type { BatchResult, Consumer, Handler, Message, StopOptions } from '../types.js';
import { admitInto, type Rejection } from './admit.js';
import type { Claim, ConsumerBackend } from './backend.js';
import { afterBurst, burstClock } from './burst-clock.js';
import { BackendHealth, CircuitBreaker } from './circuit-breaker.js';
import { ClaimBuffer } from './claim-buffer.js';
import { keepConsumerLeases } from './consumer-leases.js';
import { consumerOutcomes } from './consumer-outcomes.js';
import { needsSoloRun } from './failure-policy.js';
import { callAround, HandlerRun, settleRunning, startTimeoutSweep } from './handler-run.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { RunList } from './run-list.js';
import { sleep } from './sleep.js';
import { SoloRuns } from './solo-run.js';
import { TokenBucket } from './token-bucket.js';

/** Everything {@link runConsumer} needs. */
export interface RunConsumerParams<C extends Claim> {
  readonly backend: ConsumerBackend<C>;
  /** Queue name as the application sees it. */
  readonly queue: string;
  readonly handler: Handler;
  readonly options: ResolvedConsumeOptions;
  readonly provider: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  /** Decodes claimed payloads (an unreadable one is dead-lettered as `poison`). */
  readonly serializer: Serializer;
  /** Called once the consumer has fully stopped (providers forget it then). */
  readonly onStopped?: () => void;
}

/** How long aborted handlers get to settle at the end of `stop()` before they are abandoned. */
const ABORT_GRACE_MS = 1_000;

/**
 * The consume loop shared by every lease-based provider: claims up to `concurrency × batchSize`
 * (plus `prefetch`) messages at a time, decodes them (unreadable → dead letter `poison`; a
 * redelivery past `maxAttempts` → dead letter `lease-expired`), runs handlers within the
 * concurrency limit and rate limit, keeps leases by heartbeat ({@link LeaseKeeper}), aborts
 * handlers on timeout, lease loss and shutdown, decides retries ({@link decideFailure}), writes
 * outcomes in batches ({@link consumerOutcomes}) and backs off on idle and on backend failures
 * ({@link CircuitBreaker}). Returns the {@link Consumer} handle at once.
 */
export function runConsumer<C extends Claim>(params: RunConsumerParams<C>): Consumer {
  const { backend, queue, handler, options, provider, logger, lifecycle, serializer } = params;
  const consumerId = randomUUID();
  const running = new RunList<HandlerRun<C>>();
  /** Claimed messages not yet handed to a handler (only with `prefetch`, or while rate-limited). */
  const buffer = new ClaimBuffer<C>();
  const loopAbort = new AbortController();
  const bucket = options.rateLimit
    ? new TokenBucket(options.rateLimit.perSecond, options.rateLimit.burst, Date.now())
    : undefined;
  const health = new BackendHealth(
    new CircuitBreaker({
      ...options.circuitBreaker,
      minMs: options.minPollIntervalMs,
      maxMs: options.pollIntervalMs,
    }),
    { provider, queue, consumerId, logger, lifecycle },
  );

  let stopRequested = false;
  let stopPromise: Promise<void> | undefined;
  let slotWaiter: (() => void) | undefined;
  let idleDelay = options.minPollIntervalMs;

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const wakeLoop = (): void => {
    const waiter = slotWaiter;
    slotWaiter = undefined;
    waiter?.();
  };
  /** Resolves at the next `wakeLoop` (a handler finished, an outcome write completed, stop). */
  const nextWake = (): Promise<void> =>
    new Promise<void>((resolve) => {
      slotWaiter = resolve;
    });

  const outcomes = consumerOutcomes({
    backend,
    options,
    health,
    logger,
    queue,
    consumerId,
    stopping: () => stopRequested,
    running: () => running.size,
    loopSignal: loopAbort.signal,
    onWritten: () => {
      if (buffer.length > 0) startFromBuffer();
      wakeLoop();
    },
  });
  // Handlers start only while fewer than `3 × concurrency × batchSize` messages are running (a
  // call counts at its full batch size) or handled with their outcome unwritten: each of those is
  // a duplicate if the process dies, and with prefetch a freed slot refills at once.
  const maxHeld = 3 * options.concurrency * options.batchSize;
  const outcomesBackedUp = (): boolean =>
    outcomes.unwritten() + running.size * options.batchSize >= maxHeld;

  // Handler starts and settlements come in bursts: one clock read serves a burst.
  const now = burstClock();
  const recorder = new OutcomeRecorder<C>({
    now,
    outcomes,
    backoff: options.retry.backoff,
    provider,
    queue,
    consumerId,
    logger,
    lifecycle,
  });

  // ---- handler runs ---------------------------------------------------------------------

  // Slots freed in one burst are refilled together, right after it, from claims held ahead
  // (prefetch): the calls started then share one `delivered` event. The loop tops the buffer up.
  const queueRefill = afterBurst(() => startFromBuffer());

  function finish(run: HandlerRun<C>): void {
    running.delete(run);
    if (buffer.length > 0) queueRefill();
    wakeLoop();
    outcomes.schedule();
  }

  /**
   * Starts handlers from the buffer while slots (and rate-limit tokens) allow. The calls started
   * together get one `delivered` event, emitted before any of them runs.
   */
  function startFromBuffer(): void {
    let first: HandlerRun<C> | undefined;
    let more: HandlerRun<C>[] | undefined;
    while (!stopRequested && buffer.length > 0 && running.size < options.concurrency) {
      if (outcomesBackedUp()) {
        // Nothing starts until an outcome write completes: start another write now if allowed.
        outcomes.schedule(true);
        break;
      }
      if (bucket !== undefined && bucket.take(1, Date.now()) === 0) break;
      const run = admit(
        options.batchSize === 1 ? [buffer.shift() as C] : buffer.take(options.batchSize),
      );
      if (run === undefined) continue;
      if (first === undefined) first = run;
      else if (more === undefined) more = [run];
      else more.push(run);
    }
    if (first === undefined) return;
    if (lifecycle.active) recorder.events.delivered(first, more);
    void execute(first);
    if (more !== undefined) for (const run of more) void execute(run);
  }

  const around = lifecycle.aroundHandler;
  const where = { provider, queue, consumerId };

  async function execute(run: HandlerRun<C>): Promise<void> {
    let threw = false;
    let error: unknown;
    let result: BatchResult | undefined;
    try {
      result = (await (around === undefined
        ? handler(run.messages, run.context)
        : callAround(around, where, handler, run))) as BatchResult | undefined;
    } catch (e) {
      threw = true;
      error = e;
    }
    switch (run.state) {
      case 'running':
        run.state = 'done';
        recorder.apply(run, threw, error, result);
        finish(run);
        return;
      case 'aborted':
        // Aborted by stop(): work that completed is acknowledged, the rest is given back unprocessed.
        run.state = 'done';
        if (threw) for (const claim of run.claims) outcomes.release(claim);
        else recorder.apply(run, false, undefined, result);
        finish(run);
        return;
      default:
        // Timed out (already failed), lease lost (no longer ours) or abandoned: nothing to write.
        return;
    }
  }

  const reject = (r: Rejection<C>): void => recorder.deadLetter(r.claim, r.error, r.reason);

  /**
   * Decodes `claimed` and registers one handler call with what is deliverable (the caller runs
   * it). A redelivery past the last attempt and an unreadable payload are dead-lettered here,
   * once, without a handler call; `undefined` when nothing is left.
   */
  function admit(claimed: C[]): HandlerRun<C> | undefined {
    const messages = new Array<Message>(claimed.length);
    const claims = admitInto(claimed, queue, serializer, messages, reject);
    if (claims.length === 0) {
      outcomes.schedule();
      return undefined;
    }
    const startedAt = now();
    const run = new HandlerRun<C>(claims, messages, startedAt, queue, consumerId);
    running.add(run);
    return run;
  }

  /** Prefetched messages were never handed to a handler: gives them back without an attempt. */
  function releaseBuffered(): void {
    for (const claim of buffer.takeAll()) outcomes.release(claim);
  }

  const solo = new SoloRuns<C>({
    queue,
    consumerId,
    logger,
    outcomes,
    recorder,
    stopping: () => stopRequested,
    quiet: () => running.size === 0 && buffer.length === 0 && outcomes.unwritten() === 0,
    nextChange: () => {
      outcomes.schedule();
      return nextWake();
    },
    releaseBuffered,
    startAlone: async (claim) => {
      buffer.pushAll([claim]);
      while (!stopRequested && buffer.length > 0) {
        startFromBuffer();
        if (buffer.length > 0) await sleep(bucket?.msUntilNext(Date.now()) ?? 1, loopAbort.signal);
      }
    },
  });

  // ---- timers: handler timeout sweep and lease heartbeat ---------------------------------

  const sweep = startTimeoutSweep(running, options.handlerTimeoutMs, (run) => {
    run.state = 'timedOut';
    const error = new HandlerTimeoutError(options.handlerTimeoutMs);
    run.abort(error);
    logger.warn(
      { queue, consumerId, count: run.claims.length, timeoutMs: options.handlerTimeoutMs },
      'handler timed out; its batch failed',
    );
    for (const claim of run.claims) recorder.fail(run, claim, error);
    finish(run);
  });

  const leases = keepConsumerLeases<C>({
    options,
    backend,
    running,
    buffer,
    solo,
    outcomes,
    where: { provider, queue, consumerId },
    logger,
    lifecycle,
    finish,
  });

  // ---- the loop --------------------------------------------------------------------------

  async function loop(): Promise<void> {
    while (!stopRequested) {
      startFromBuffer();
      const free = options.concurrency - running.size;
      if (free > 0 && buffer.length > 0) {
        if (outcomesBackedUp()) {
          await nextWake(); // an outcome write completes or a handler finishes
          continue;
        }
        // Slots are free and messages are waiting: only the rate limit holds them back.
        await sleep(bucket?.msUntilNext(Date.now()) ?? 1, loopAbort.signal);
        continue;
      }
      // Claim what free slots can start now (as many as rate-limit tokens allow), plus prefetch.
      const startable = bucket === undefined ? free : Math.min(free, bucket.available(Date.now()));
      const want = solo.active
        ? 1
        : startable * options.batchSize + options.prefetch - buffer.length;
      if (want <= 0) {
        if (free > 0) await sleep(bucket?.msUntilNext(Date.now()) ?? 1, loopAbort.signal);
        else await nextWake();
        continue;
      }
      let claims: C[];
      try {
        claims = await backend.claim(want, options.visibilityTimeoutMs);
      } catch (error) {
        await sleep(health.claimFailed(error), loopAbort.signal);
        continue;
      }
      health.claimSucceeded();
      if (stopRequested) {
        for (const claim of claims) outcomes.release(claim);
        outcomes.schedule();
        break;
      }
      if (claims.length === 0) {
        if (backend.waitForWork) await backend.waitForWork(idleDelay, loopAbort.signal);
        else await sleep(idleDelay, loopAbort.signal);
        idleDelay = Math.min(options.pollIntervalMs, idleDelay * 2);
        continue;
      }
      idleDelay = options.minPollIntervalMs;
      // A plain loop: `findIndex` with a callback is a builtin call per claimed message.
      let suspect = -1;
      for (let i = 0; i < claims.length; i++) {
        if (needsSoloRun(claims[i] as C)) {
          suspect = i;
          break;
        }
      }
      if (suspect >= 0) await solo.run(claims, suspect);
      else {
        solo.active = false;
        buffer.pushAll(claims);
      }
    }
  }

  // ---- stop ------------------------------------------------------------------------------

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

  async function drain(timeoutMs: number): Promise<void> {
    await loopDone;
    releaseBuffered();
    await settleRunning(running, timeoutMs, ABORT_GRACE_MS, logger, { queue, consumerId });
    await outcomes.whenSettled();
    clearInterval(sweep);
    leases.stop();
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
      recorder.events.emit({ type: 'consumerStopped', provider, queue, consumerId });
    params.onStopped?.();
    resolveStopped();
  }

  function stop(stopOptions?: StopOptions): Promise<void> {
    if (stopPromise !== undefined) return stopPromise;
    let timeoutMs: number;
    try {
      timeoutMs = resolveStopTimeout(stopOptions, provider);
    } catch (error) {
      return Promise.reject(error);
    }
    stopRequested = true;
    loopAbort.abort();
    wakeLoop();
    stopPromise = drain(timeoutMs);
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

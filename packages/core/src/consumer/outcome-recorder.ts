import { errorInfo } from '../error-info.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import { LogThrottle } from '../log-throttle.js';
import type { Logger } from '../logger.js';
import type { BackoffOptions } from '../options.js';
import type { BatchResult, ErrorInfo } from '../types.js';
import type { Claim, DeadLetterReason } from './backend.js';
import { ConsumerEvents } from './consumer-events.js';
import { decideFailure, requestedRetryMs } from './failure-policy.js';
import { messageInfo } from './message-info.js';
import type { OutcomeBuffer } from './outcome-buffer.js';

/** Who records: the consumer and where its outcomes go. */
export interface OutcomeRecorderParams<C extends Claim> {
  readonly outcomes: OutcomeBuffer<C>;
  readonly backoff: Required<BackoffOptions>;
  readonly provider: string;
  readonly queue: string;
  readonly consumerId: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  /** The loop's clock (ms since epoch), read for `finishedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/** A handler call's batch and start time, as the recorder needs them. */
export interface RecordedRun<C extends Claim> {
  readonly claims: readonly C[];
  readonly startedAt: number;
}

/**
 * Turns handler results into outcomes and lifecycle events: success, failure (retry or dead
 * letter by {@link decideFailure}), dead letters decided before delivery. The dead-letter warn
 * line is rate-limited ({@link LogThrottle}); every dead letter still gets its event.
 */
export class OutcomeRecorder<C extends Claim> {
  private readonly deadLetterLog = new LogThrottle();
  private readonly now: () => number;

  /** The consumer's events (one-message calls that end together share a `succeeded` event). */
  readonly events: ConsumerEvents;

  constructor(private readonly p: OutcomeRecorderParams<C>) {
    this.now = p.now ?? (() => Date.now());
    this.events = new ConsumerEvents(p.lifecycle, p);
  }

  /** Acknowledges `claims`. */
  succeed(run: RecordedRun<C>, claims: readonly C[]): void {
    const { outcomes, lifecycle } = this.p;
    for (const claim of claims) outcomes.ack(claim);
    if (!lifecycle.active || claims.length === 0) return;
    this.events.succeeded(claims, run.startedAt, this.now());
  }

  /** Dead-letters `claim` with `error` for `reason`: one outcome, one event, a throttled warn line. */
  deadLetter(claim: C, error: ErrorInfo, reason: DeadLetterReason): void {
    const { outcomes, lifecycle, provider, queue, logger } = this.p;
    outcomes.deadLetter({ claim, error, reason });
    const suppressed = this.deadLetterLog.admitNow();
    if (suppressed !== undefined) {
      logger.warn(
        {
          queue,
          id: claim.id,
          type: claim.type,
          attempt: claim.attempt,
          reason,
          err: { name: error.name, message: error.message, code: error.code },
          suppressed,
        },
        'message dead-lettered',
      );
    }
    if (lifecycle.active)
      this.events.emit({
        type: 'deadLettered',
        provider,
        queue,
        message: messageInfo(claim),
        error,
        reason,
      });
  }

  /** Fails one message: retried after a back-off (or the handler's `retryInMs`), or dead-lettered. */
  fail(run: RecordedRun<C>, claim: C, error: unknown, retryInMs?: unknown): void {
    const { outcomes, lifecycle, provider, queue, consumerId, logger } = this.p;
    const err = errorInfo(error);
    const decision = decideFailure(
      {
        attempt: claim.attempt,
        maxAttempts: claim.maxAttempts,
        error,
        retryInMs: requestedRetryMs(retryInMs, error),
      },
      this.p.backoff,
    );
    logger.debug(
      {
        queue,
        consumerId,
        id: claim.id,
        type: claim.type,
        attempt: claim.attempt,
        willRetry: decision.retry,
        err,
      },
      'message failed',
    );
    if (lifecycle.active) {
      const finishedAt = this.now();
      this.events.emit({
        type: 'failed',
        provider,
        queue,
        consumerId,
        message: messageInfo(claim),
        error: err,
        durationMs: finishedAt - run.startedAt,
        finishedAt,
        willRetry: decision.retry,
      });
    }
    if (!decision.retry) {
      this.deadLetter(claim, err, decision.reason);
      return;
    }
    outcomes.retry({ claim, delayMs: decision.delayMs, error: err });
    if (lifecycle.active)
      this.events.emit({
        type: 'retried',
        provider,
        queue,
        message: messageInfo(claim),
        delayMs: decision.delayMs,
      });
  }

  /** Applies what a handler call did: threw (all fail), `{ failed }` (those fail), else all succeed. */
  apply(run: RecordedRun<C>, threw: boolean, error: unknown, result: void | BatchResult): void {
    if (threw) {
      for (const claim of run.claims) this.fail(run, claim, error);
      return;
    }
    const failed = result?.failed;
    if (failed === undefined || failed.length === 0) {
      this.succeed(run, run.claims);
      return;
    }
    const items = new Map<string, { readonly error: unknown; readonly retryInMs?: unknown }>();
    for (const item of failed) items.set(item.id, item);
    const ok: C[] = [];
    for (const claim of run.claims) {
      const item = items.get(claim.id);
      if (item !== undefined) this.fail(run, claim, item.error, item.retryInMs);
      else ok.push(claim);
    }
    if (items.size > run.claims.length - ok.length) {
      this.p.logger.warn(
        { queue: this.p.queue, consumerId: this.p.consumerId },
        'handler reported failed ids that are not in its batch; they were ignored',
      );
    }
    this.succeed(run, ok);
  }
}

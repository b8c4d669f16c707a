import { errorInfo } from './error-info.js';
import { aroundHandlerOf, propagateOf } from './lifecycle-hooks.js';
import { LogThrottle } from './log-throttle.js';
import type { Logger } from './logger.js';
import type { ErrorInfo, Message } from './types.js';

/** What lifecycle events say about a message (never its payload). */
export interface MessageInfo {
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  readonly createdAt: Date;
  readonly partitionKey: string | undefined;
}

/**
 * The messages of a `delivered` or `succeeded` event: a read-only list of {@link MessageInfo},
 * read in place from the messages the consumer holds rather than copied per message (a consumer
 * at a million messages a second would otherwise allocate an info object per message for every
 * listening provider). Read it while handling the event; keep `at(i)` or `[...list]` (copies) for
 * later.
 */
export interface MessageInfoList extends Iterable<MessageInfo> {
  /** How many messages the event reports. */
  readonly length: number;
  /** Message `index`'s info as a new object (negative counts from the end), else `undefined`. */
  at(index: number): MessageInfo | undefined;
  /** Message `index`'s `type`, without building its info (`undefined` when out of range). */
  typeAt(index: number): string | undefined;
  /** Message `index`'s `createdAt` in ms since epoch, without building its info (`undefined` when out of range). */
  createdAtMs(index: number): number | undefined;
}

interface Base {
  /** Provider name, e.g. `memory`. */
  readonly provider: string;
  /** Queue (or stream) name without namespace. */
  readonly queue: string;
}

/** Every event a {@link LifecycleProvider} can receive, discriminated on `type`. */
export type LifecycleEvent =
  | (Base & {
      readonly type: 'published';
      readonly messages: readonly { id: string; type: string }[];
    })
  | (Base & {
      /**
       * Handler calls start with `messages`: one event for the calls the loop starts together
       * (in start order), emitted before any of them runs.
       */
      readonly type: 'delivered';
      readonly consumerId: string;
      readonly messages: MessageInfoList;
    })
  | (Base & {
      /**
       * Handler calls ended successfully for `messages`. One event per call of several messages;
       * one-message calls that started together and ended together are reported in one event at
       * the end of that burst (`calls` = `messages.length`, message i being call i).
       */
      readonly type: 'succeeded';
      readonly consumerId: string;
      readonly messages: MessageInfoList;
      /** How long each handler call took (every call of the event took the same time). */
      readonly durationMs: number;
      /**
       * How many handler calls the event reports: 1, or `messages.length` when it gathers
       * one-message calls (count a handler-duration observation per call, not per event).
       */
      readonly calls: number;
      /** When the handler calls ended (ms since epoch): spares providers a clock read per event. */
      readonly finishedAt: number;
    })
  | (Base & {
      readonly type: 'failed';
      readonly consumerId: string;
      readonly message: MessageInfo;
      readonly error: ErrorInfo;
      readonly durationMs: number;
      /** When the failed handler call ended (ms since epoch). */
      readonly finishedAt: number;
      readonly willRetry: boolean;
    })
  | (Base & { readonly type: 'retried'; readonly message: MessageInfo; readonly delayMs: number })
  | (Base & {
      readonly type: 'deadLettered';
      readonly message: MessageInfo;
      readonly error: ErrorInfo;
      /**
       * `max-attempts`, `non-retryable`, `poison` (unreadable payload), `lease-expired` (crash
       * loop: the consumer kept dying, its attempts counted across restarts) or `max-record-age`
       * (a stream record older than the consumer's limit, dead-lettered unprocessed).
       */
      readonly reason:
        | 'max-attempts'
        | 'non-retryable'
        | 'poison'
        | 'lease-expired'
        | 'max-record-age';
    })
  | (Base & { readonly type: 'consumerStarted'; readonly consumerId: string })
  | (Base & { readonly type: 'consumerStopped'; readonly consumerId: string })
  | (Base & { readonly type: 'leaseAcquired'; readonly lease: string; readonly owner: string })
  | (Base & { readonly type: 'leaseRenewed'; readonly lease: string; readonly owner: string })
  | (Base & { readonly type: 'leaseLost'; readonly lease: string; readonly owner: string })
  | (Base & { readonly type: 'leaseReleased'; readonly lease: string; readonly owner: string })
  | (Base & {
      readonly type: 'rebalanced';
      readonly owner: string;
      readonly owned: readonly string[];
    })
  | (Base & { readonly type: 'checkpointed'; readonly lease: string; readonly position: string })
  | (Base & {
      /** A stream consumer's lag on one shard (Kinesis `MillisBehindLatest` of a GetRecords call). */
      readonly type: 'shardLag';
      readonly shard: string;
      readonly millisBehindLatest: number;
    })
  | (Base & { readonly type: 'throttled'; readonly operation: string; readonly retryInMs: number })
  | (Base & {
      readonly type: 'heartbeatFailed';
      readonly consumerId: string;
      readonly error: ErrorInfo;
    })
  | (Base & {
      readonly type: 'backendError';
      readonly operation: string;
      readonly error: ErrorInfo;
    })
  | (Base & {
      readonly type: 'circuitOpened';
      readonly consecutiveFailures: number;
      readonly retryInMs: number;
    })
  | (Base & { readonly type: 'circuitClosed' });

/** The `type` strings of {@link LifecycleEvent}. */
export type LifecycleEventType = LifecycleEvent['type'];

/** Narrows {@link LifecycleEvent} to one `type`. */
export type LifecycleEventOf<T extends LifecycleEventType> = Extract<LifecycleEvent, { type: T }>;

/**
 * Receives lifecycle events (metrics, tracing, audit logs). It may be sync or async; it is never
 * awaited by message processing, and whatever it throws or rejects is reported, not propagated.
 */
export interface LifecycleProvider {
  /** Name used when reporting this provider's errors. */
  readonly name: string;
  /** Called for every event. */
  onEvent(event: LifecycleEvent): void | Promise<void>;
  /**
   * Trace propagation (optional): headers to add to one message being published, e.g. W3C
   * `traceparent`/`tracestate` of the active trace context, or `undefined` to add none. Called
   * once per message after the batch validated; headers the publisher set win. Synchronous: it
   * runs on the publish path, in the publisher's context.
   */
  propagate?(info: PublishTraceInfo): Readonly<Record<string, string>> | undefined;
  /**
   * Runs `run` (one handler call) inside the context the messages carry, e.g. the trace their
   * headers name, and resolves to what `run` resolved to. It must call `run` exactly once; if it
   * throws before calling it, the handler runs anyway and the failure is reported like any other
   * lifecycle provider failure.
   */
  aroundHandler?<T>(info: HandlerTraceInfo, run: () => Promise<T>): Promise<T>;
}

/** What {@link LifecycleProvider.propagate} learns about the message being published. */
export interface PublishTraceInfo extends Base {
  /** The message's type. */
  readonly type: string;
  /** Its index within the publish call. */
  readonly index: number;
  /** How many messages the publish call holds. */
  readonly batchSize: number;
}

/** What {@link LifecycleProvider.aroundHandler} learns about the handler call it wraps. */
export interface HandlerTraceInfo extends Base {
  readonly consumerId: string;
  /** The batch handed to the handler (headers included; payloads are the handler's business). */
  readonly messages: readonly Message[];
}

/** Called when a lifecycle provider throws or rejects. */
export type LifecycleErrorHook = (
  error: unknown,
  event: LifecycleEvent,
  provider: LifecycleProvider,
) => void;

/**
 * Fans events out to providers, isolating each one. Check `active` before building an event so
 * that a queue with no provider pays almost nothing.
 */
export interface LifecycleDispatcher {
  /** False when no provider is attached: skip building events. */
  readonly active: boolean;
  /** Delivers `event` to every provider without waiting for any of them. */
  emit(event: LifecycleEvent): void;
  /** The merged {@link LifecycleProvider.propagate} of every provider; `undefined` when none has one. */
  readonly propagate: ((info: PublishTraceInfo) => Record<string, string> | undefined) | undefined;
  /** The nested {@link LifecycleProvider.aroundHandler} of every provider; `undefined` when none has one. */
  readonly aroundHandler:
    | (<T>(info: HandlerTraceInfo, run: () => Promise<T>) => Promise<T>)
    | undefined;
}

/**
 * Builds a {@link LifecycleDispatcher}. Every provider failure goes to `onLifecycleError`; the
 * `warn` log line is rate-limited (5 per 10 s, then a `suppressed` count).
 */
export function createLifecycleDispatcher(
  providers: LifecycleProvider | readonly LifecycleProvider[] | undefined,
  logger: Logger,
  onLifecycleError?: LifecycleErrorHook,
): LifecycleDispatcher {
  const list =
    providers === undefined
      ? []
      : Array.isArray(providers)
        ? [...providers]
        : [providers as LifecycleProvider];
  // A provider that throws on every event must not cost a formatted, redacted log line per event:
  // every failure reaches `onLifecycleError`, the log gets a few lines per window with a count.
  const throttle = new LogThrottle();
  const report = (error: unknown, event: LifecycleEvent, provider: LifecycleProvider): void => {
    const suppressed = throttle.admitNow();
    if (suppressed !== undefined) {
      logger.warn(
        { provider: provider.name, event: event.type, err: errorInfo(error), suppressed },
        'lifecycle provider failed; message processing continues',
      );
    }
    if (onLifecycleError) {
      try {
        onLifecycleError(error, event, provider);
      } catch (hookError) {
        logger.error({ err: errorInfo(hookError) }, 'onLifecycleError hook threw');
      }
    }
  };
  const guards = list.map((provider) => new ProviderGuard(provider, logger));
  return {
    active: list.length > 0,
    propagate: propagateOf(list, report),
    aroundHandler: aroundHandlerOf(list, report),
    emit:
      guards.length === 1
        ? (event) => deliver(guards[0] as ProviderGuard, event, report)
        : (event) => {
            for (let i = 0; i < guards.length; i++)
              deliver(guards[i] as ProviderGuard, event, report);
          },
  };
}

/** Hands `event` to one provider, isolated: a throw or rejection is reported and counted. */
function deliver(
  guard: ProviderGuard,
  event: LifecycleEvent,
  report: (error: unknown, event: LifecycleEvent, provider: LifecycleProvider) => void,
): void {
  if (guard.paused) {
    guard.skipped++;
    return;
  }
  const provider = guard.provider;
  try {
    const result = provider.onEvent(event);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => guard.succeeded(),
        (error: unknown) => {
          report(error, event, provider);
          guard.failed();
        },
      );
    } else if (guard.failing) guard.succeeded();
  } catch (error) {
    report(error, event, provider);
    guard.failed();
  }
}

/** Consecutive failures (throws or rejections) after which a provider is paused. */
export const LIFECYCLE_PAUSE_AFTER = 1_000;
/** First pause of a failing provider; doubles on each pause in a row, up to {@link LIFECYCLE_PAUSE_MAX_MS}. */
export const LIFECYCLE_PAUSE_MS = 1_000;
/** Longest pause of a failing provider. */
export const LIFECYCLE_PAUSE_MAX_MS = 60_000;

/**
 * A provider's failure streak. One that throws on {@link LIFECYCLE_PAUSE_AFTER} events in a row
 * (each reported) is paused — its events are skipped and counted — for a back-off that starts at
 * {@link LIFECYCLE_PAUSE_MS} and doubles while it keeps failing right after each pause; an unref'd
 * timer ends the pause, so no clock is read per event. One event it takes without throwing ends
 * the streak. The cost of a provider that throws on every message is then the throw itself for a
 * short moment per pause, not per message for ever.
 */
class ProviderGuard {
  private failures = 0;
  skipped = 0;
  paused = false;
  private pauses = 0;

  constructor(
    readonly provider: LifecycleProvider,
    private readonly logger: Logger,
  ) {}

  /** True while a failure streak or pause back-off is running (a success must reset it). */
  get failing(): boolean {
    return this.failures !== 0 || this.pauses !== 0;
  }

  succeeded(): void {
    this.failures = 0;
    this.pauses = 0;
  }

  failed(): void {
    this.failures++;
    if (this.failures < LIFECYCLE_PAUSE_AFTER) return;
    const pauseMs = Math.min(LIFECYCLE_PAUSE_MAX_MS, LIFECYCLE_PAUSE_MS * 2 ** this.pauses);
    this.pauses++;
    this.paused = true;
    this.failures = 0;
    this.logger.warn(
      { provider: this.provider.name, failures: LIFECYCLE_PAUSE_AFTER, pauseMs },
      'lifecycle provider failed on every event; pausing it (its events are skipped meanwhile)',
    );
    setTimeout(() => this.resume(), pauseMs).unref();
  }

  private resume(): void {
    this.logger.warn(
      { provider: this.provider.name, skipped: this.skipped },
      'lifecycle provider resumed after a pause',
    );
    // Another full streak right away pauses it longer; one success starts the back-off over.
    this.paused = false;
    this.skipped = 0;
  }
}

import { errorInfo } from './error-info.js';
import { LogThrottle } from './log-throttle.js';
import type { Logger } from './logger.js';
import type { ErrorInfo } from './types.js';

/** What lifecycle events say about a message (never its payload). */
export interface MessageInfo {
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  readonly createdAt: Date;
  readonly partitionKey: string | undefined;
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
      readonly type: 'delivered';
      readonly consumerId: string;
      readonly messages: readonly MessageInfo[];
    })
  | (Base & {
      readonly type: 'succeeded';
      readonly consumerId: string;
      readonly messages: readonly MessageInfo[];
      readonly durationMs: number;
    })
  | (Base & {
      readonly type: 'failed';
      readonly consumerId: string;
      readonly message: MessageInfo;
      readonly error: ErrorInfo;
      readonly durationMs: number;
      readonly willRetry: boolean;
    })
  | (Base & { readonly type: 'retried'; readonly message: MessageInfo; readonly delayMs: number })
  | (Base & {
      readonly type: 'deadLettered';
      readonly message: MessageInfo;
      readonly error: ErrorInfo;
      /** `max-attempts`, `non-retryable`, `poison` (unreadable payload) or `lease-expired` (crash loop). */
      readonly reason: 'max-attempts' | 'non-retryable' | 'poison' | 'lease-expired';
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
    const suppressed = throttle.admit(Date.now());
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
  return {
    active: list.length > 0,
    emit(event) {
      for (const provider of list) {
        try {
          const result = provider.onEvent(event);
          if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
            (result as Promise<void>).then(undefined, (error: unknown) =>
              report(error, event, provider),
            );
          }
        } catch (error) {
          report(error, event, provider);
        }
      }
    },
  };
}

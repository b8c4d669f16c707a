import type { LifecycleDispatcher, LifecycleEvent, MessageInfo } from '../lifecycle.js';
import { afterBurst } from './burst-clock.js';
import { messageInfoList, type StartedCall, startedClaimsList } from './message-info.js';

/** Where the events come from. */
export interface ConsumerEventsSource {
  readonly provider: string;
  readonly queue: string;
  readonly consumerId: string;
}

/**
 * A consumer's lifecycle events, in the order they happened. A handler call of several messages
 * gets its own `succeeded` event at once. One-message calls that started together and ended
 * together — the same burst-clock readings, hence the same duration — are reported in one
 * `succeeded` event at the end of the burst, with `calls` equal to its message count (message i
 * is call i): at `batchSize` 1 and concurrency 50 a no-op handler then costs one event per 50
 * messages instead of one per message, and nothing is lost, since every call of the event has the
 * same `durationMs` and `finishedAt`. Every other event goes through {@link emit}, which reports
 * the gathered calls first. Events list the claims in place ({@link messageInfoList}): no info
 * object is built per message.
 */
export class ConsumerEvents {
  private gathered: MessageInfo[] | undefined;
  private startedAt = 0;
  private finishedAt = 0;
  private readonly flushAfterBurst: () => void;

  constructor(
    private readonly lifecycle: LifecycleDispatcher,
    private readonly source: ConsumerEventsSource,
  ) {
    this.flushAfterBurst = afterBurst(() => this.flush());
  }

  /** Emits `event` after the one-message calls gathered so far. */
  emit(event: LifecycleEvent): void {
    this.flush();
    this.lifecycle.emit(event);
  }

  /**
   * Emits the `delivered` event of handler calls started together (`first`, then `more`), listing
   * their claims in start order ({@link startedClaimsList}: gathered only if a provider reads them).
   */
  delivered(first: StartedCall, more: readonly StartedCall[] | undefined): void {
    const { provider, queue, consumerId } = this.source;
    this.emit({
      type: 'delivered',
      provider,
      queue,
      consumerId,
      messages: startedClaimsList(first, more),
    });
  }

  /** Reports a successful call of one message, started and ended at these times. */
  succeededOne(claim: MessageInfo, startedAt: number, finishedAt: number): void {
    if (this.gathered !== undefined) {
      if (startedAt === this.startedAt && finishedAt === this.finishedAt) {
        this.gathered.push(claim);
        return;
      }
      this.flush();
    }
    this.gathered = [claim];
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.flushAfterBurst();
  }

  /** Reports a successful handler call of `messages` (its claims), started and ended at these times. */
  succeeded(messages: readonly MessageInfo[], startedAt: number, finishedAt: number): void {
    if (messages.length === 1) this.succeededOne(messages[0] as MessageInfo, startedAt, finishedAt);
    else this.emit(this.succeededEvent(messages, startedAt, finishedAt, 1));
  }

  /** Emits the one-message calls gathered so far, if any. */
  flush(): void {
    const gathered = this.gathered;
    if (gathered === undefined) return;
    this.gathered = undefined;
    this.lifecycle.emit(
      this.succeededEvent(gathered, this.startedAt, this.finishedAt, gathered.length),
    );
  }

  private succeededEvent(
    messages: readonly MessageInfo[],
    startedAt: number,
    finishedAt: number,
    calls: number,
  ): LifecycleEvent {
    const { provider, queue, consumerId } = this.source;
    return {
      type: 'succeeded',
      provider,
      queue,
      consumerId,
      messages: messageInfoList(messages),
      durationMs: finishedAt - startedAt,
      calls,
      finishedAt,
    };
  }
}

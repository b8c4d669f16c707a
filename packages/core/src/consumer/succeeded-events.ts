import type { LifecycleDispatcher, MessageInfo } from '../lifecycle.js';
import { afterBurst } from './burst-clock.js';

/** Where the events come from. */
export interface SucceededEventsSource {
  readonly provider: string;
  readonly queue: string;
  readonly consumerId: string;
}

/**
 * A consumer's `succeeded` events. A handler call of several messages gets its own event at once.
 * One-message calls that started together and ended together — the same burst-clock readings,
 * hence the same duration — are reported in one event at the end of the burst, with `calls` equal
 * to its message count (message i is call i): at `batchSize` 1 and concurrency 50 a no-op handler
 * then costs one event per 50 messages instead of one per message, and nothing is lost, since
 * every call of the event has the same `durationMs` and `finishedAt`.
 *
 * Callers {@link flush} before emitting any other event of the consumer, so that its events keep
 * the order in which they happened.
 */
export class SucceededEvents {
  private infos: MessageInfo[] | undefined;
  private startedAt = 0;
  private finishedAt = 0;
  private readonly flushAfterBurst: () => void;

  constructor(
    private readonly lifecycle: LifecycleDispatcher,
    private readonly source: SucceededEventsSource,
  ) {
    this.flushAfterBurst = afterBurst(() => this.flush());
  }

  /** Reports a successful call of one message, started and ended at these times. */
  addOne(info: MessageInfo, startedAt: number, finishedAt: number): void {
    if (this.infos !== undefined) {
      if (startedAt === this.startedAt && finishedAt === this.finishedAt) {
        this.infos.push(info);
        return;
      }
      this.flush();
    }
    this.infos = [info];
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.flushAfterBurst();
  }

  /** Reports a successful handler call of `messages`, started and ended at these times. */
  add(messages: readonly MessageInfo[], startedAt: number, finishedAt: number): void {
    if (messages.length === 1) {
      this.addOne(messages[0] as MessageInfo, startedAt, finishedAt);
      return;
    }
    this.flush();
    this.emit(messages, startedAt, finishedAt, 1);
  }

  /** Emits the one-message calls gathered so far, if any. */
  flush(): void {
    const infos = this.infos;
    if (infos === undefined) return;
    this.infos = undefined;
    this.emit(infos, this.startedAt, this.finishedAt, infos.length);
  }

  private emit(
    messages: readonly MessageInfo[],
    startedAt: number,
    finishedAt: number,
    calls: number,
  ): void {
    const { provider, queue, consumerId } = this.source;
    this.lifecycle.emit({
      type: 'succeeded',
      provider,
      queue,
      consumerId,
      messages,
      durationMs: finishedAt - startedAt,
      calls,
      finishedAt,
    });
  }
}

import type { Claim, DeadLetterOutcome, Outcomes, RetryOutcome } from './backend.js';
import { settled } from './burst-clock.js';
import { sleep } from './sleep.js';

/** What an {@link OutcomeBuffer} needs from its consumer. */
export interface OutcomeBufferHooks {
  /** A write failed; report it (log, `backendError` event). */
  onWriteError(error: unknown): void;
  /** Delay before retrying after `failures` consecutive failed writes. */
  retryDelayMs(failures: number): number;
  /**
   * True when outstanding outcomes may be abandoned after `failures` failed writes (the consumer
   * is stopping and nothing runs any more); the leases then expire and the messages are redelivered.
   */
  mayGiveUp(failures: number): boolean;
  /** Called with the number of outcomes abandoned. */
  onGiveUp(count: number): void;
  /** Aborts a retry back-off early (the consumer is stopping). */
  readonly signal: () => AbortSignal;
  /** Called after a write succeeded (or outcomes were abandoned): {@link OutcomeBuffer.unwritten} fell. */
  onWritten?(): void;
}

const empty = <C extends Claim>(): Outcomes<C> => ({
  acked: [],
  retried: [],
  deadLettered: [],
  released: [],
});

/** Number of outcomes in `o`. */
export const outcomeCount = (o: Outcomes<Claim>): number =>
  o.acked.length + o.retried.length + o.deadLettered.length + o.released.length;

/** Most outcomes one write carries (a database backend turns each list into one statement). */
export const MAX_OUTCOMES_PER_WRITE = 1_000;

/**
 * Splits `o` into the first `max` outcomes (acks first, then retries, dead letters, releases, each
 * in recorded order) and the rest. Pure; `o` is left untouched.
 */
export function takeOutcomes<C extends Claim>(
  o: Outcomes<C>,
  max: number,
): [batch: Outcomes<C>, rest: Outcomes<C>] {
  if (outcomeCount(o) <= max) return [o, empty<C>()];
  let room = max;
  const cut = <T>(list: T[]): [T[], T[]] => {
    const n = Math.min(room, list.length);
    room -= n;
    return [list.slice(0, n), list.slice(n)];
  };
  const [acked, ackedRest] = cut(o.acked);
  const [retried, retriedRest] = cut(o.retried);
  const [deadLettered, deadLetteredRest] = cut(o.deadLettered);
  const [released, releasedRest] = cut(o.released);
  return [
    { acked, retried, deadLettered, released },
    {
      acked: ackedRest,
      retried: retriedRest,
      deadLettered: deadLetteredRest,
      released: releasedRest,
    },
  ];
}

/**
 * Collects outcomes and writes them with one `write` call per microtask turn (a database backend
 * turns each list into one statement). Only one write is in flight; what arrives meanwhile is
 * written next, so outcomes of concurrent one-message handlers are coalesced without a timer (a
 * fixed flush delay measured no fewer statements; docs/benchmarks-prisma.md). A write carries at
 * most `maxPerWrite` outcomes ({@link MAX_OUTCOMES_PER_WRITE}); the rest follows at once. A
 * failed write keeps its outcomes and is retried after a back-off. The seam for outcome
 * coalescing: how outcomes are grouped into writes is decided here only.
 */
export class OutcomeBuffer<C extends Claim> {
  private pending: Outcomes<C> = empty<C>();
  private inFlight: Outcomes<C> | undefined;
  private scheduled = false;
  private failures = 0;
  private idle: (() => void) | undefined;
  private readonly flushLater = (): void => void this.flush();

  constructor(
    private readonly write: (outcomes: Outcomes<C>) => Promise<void>,
    private readonly hooks: OutcomeBufferHooks,
    private readonly maxPerWrite: number = MAX_OUTCOMES_PER_WRITE,
  ) {}

  /** Records a success. */
  ack(claim: C): void {
    this.pending.acked.push(claim);
  }

  /** Records a retry. */
  retry(outcome: RetryOutcome<C>): void {
    this.pending.retried.push(outcome);
  }

  /** Records a dead letter. */
  deadLetter(outcome: DeadLetterOutcome<C>): void {
    this.pending.deadLettered.push(outcome);
  }

  /** Records a message given back unprocessed. */
  release(claim: C): void {
    this.pending.released.push(claim);
  }

  /** Appends every claim whose outcome is not written yet (their leases must stay extended). */
  collectHeld(into: C[]): void {
    for (const o of this.inFlight ? [this.inFlight, this.pending] : [this.pending]) {
      for (const c of o.acked) into.push(c);
      for (const c of o.released) into.push(c);
      for (const r of o.retried) into.push(r.claim);
      for (const d of o.deadLettered) into.push(d.claim);
    }
  }

  /** Outcomes recorded and not yet written (pending plus the write in flight). */
  unwritten(): number {
    return outcomeCount(this.pending) + (this.inFlight ? outcomeCount(this.inFlight) : 0);
  }

  /** Writes what is pending at the end of the current microtask turn. */
  schedule(): void {
    if (this.scheduled || this.inFlight !== undefined) return;
    this.scheduled = true;
    // `.then` on a settled promise, not queueMicrotask: Node wraps each of those in an AsyncResource.
    void settled.then(this.flushLater);
  }

  /** Resolves once nothing is pending or in flight (or the outcomes were abandoned). */
  whenSettled(): Promise<void> {
    return new Promise((resolve) => {
      const settled = (): boolean =>
        outcomeCount(this.pending) === 0 && this.inFlight === undefined;
      this.idle = () => {
        if (settled()) resolve();
      };
      if (settled()) resolve();
      else this.schedule();
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.inFlight !== undefined) return;
    if (outcomeCount(this.pending) === 0) {
      this.idle?.();
      return;
    }
    const [batch, rest] = takeOutcomes(this.pending, this.maxPerWrite);
    this.pending = rest;
    this.inFlight = batch;
    try {
      await this.write(batch);
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.hooks.onWriteError(error);
      // Keep the outcomes (leases stay extended by the heartbeat) and try again after a back-off.
      const later = this.pending;
      this.pending = {
        acked: [...batch.acked, ...later.acked],
        retried: [...batch.retried, ...later.retried],
        deadLettered: [...batch.deadLettered, ...later.deadLettered],
        released: [...batch.released, ...later.released],
      };
      this.inFlight = undefined;
      if (this.hooks.mayGiveUp(this.failures)) {
        this.hooks.onGiveUp(outcomeCount(this.pending));
        this.pending = empty<C>();
        this.hooks.onWritten?.();
        this.idle?.();
        return;
      }
      await sleep(this.hooks.retryDelayMs(this.failures), this.hooks.signal());
      void this.flush();
      return;
    }
    this.inFlight = undefined;
    this.hooks.onWritten?.();
    if (outcomeCount(this.pending) > 0) this.schedule();
    else this.idle?.();
  }
}

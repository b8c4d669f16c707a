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

/** Options of an {@link OutcomeBuffer}. */
export interface OutcomeBufferOptions {
  /** Most outcomes one write carries. Default {@link MAX_OUTCOMES_PER_WRITE}. */
  readonly maxPerWrite?: number;
  /**
   * Most writes in flight at once. Default 1. A write beyond the first starts only when
   * {@link OutcomeBuffer.schedule} is called with `urgent` (or on {@link OutcomeBuffer.whenSettled}).
   * Writes in flight never share a message id: an outcome whose id is in a write in flight waits
   * for that write.
   */
  readonly maxInFlight?: number;
}

/**
 * Collects outcomes and writes them with one `write` call per microtask turn (a database backend
 * turns each list into one statement), without a timer (a fixed flush delay measured no fewer
 * statements; docs/benchmarks-prisma.md). While a write is in flight, what arrives is written
 * next, so outcomes of concurrent one-message handlers are coalesced; with `maxInFlight` > 1 an
 * `urgent` schedule (the consumer's handlers wait for outcomes to be written, so waiting to
 * coalesce gains nothing) starts another write at once. A write carries at most `maxPerWrite`
 * outcomes. Writes in flight touch disjoint message ids (an outcome of an id already being
 * written waits for that write), so the outcomes of one message are written in the order they
 * were recorded. A failed write keeps its outcomes and is retried after a back-off. The seam for
 * outcome coalescing: how outcomes are grouped into writes is decided here only.
 */
export class OutcomeBuffer<C extends Claim> {
  private pending: Outcomes<C> = empty<C>();
  private readonly inFlight = new Set<Outcomes<C>>();
  /** Ids in the writes in flight (only tracked with more than one write in flight). */
  private readonly writingIds = new Set<string>();
  private inFlightCount = 0;
  private scheduled = false;
  private backingOff = false;
  /** Set by {@link whenSettled}: write everything, however small. */
  private draining = false;
  /** Set by {@link schedule}`(true)` until the next write starts. */
  private urgent = false;
  private failures = 0;
  private idle: (() => void) | undefined;
  private readonly flushLater = (): void => this.flush();
  private readonly maxPerWrite: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly write: (outcomes: Outcomes<C>) => Promise<void>,
    private readonly hooks: OutcomeBufferHooks,
    options: OutcomeBufferOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { maxPerWrite: options } : options;
    this.maxPerWrite = o.maxPerWrite ?? MAX_OUTCOMES_PER_WRITE;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 1);
  }

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
    const collect = (o: Outcomes<C>): void => {
      for (const c of o.acked) into.push(c);
      for (const c of o.released) into.push(c);
      for (const r of o.retried) into.push(r.claim);
      for (const d of o.deadLettered) into.push(d.claim);
    };
    for (const o of this.inFlight) collect(o);
    collect(this.pending);
  }

  /** Outcomes recorded and not yet written (pending plus the writes in flight). */
  unwritten(): number {
    return outcomeCount(this.pending) + this.inFlightCount;
  }

  /**
   * Writes what is pending at the end of the current microtask turn. With `urgent` (nothing more
   * will be recorded until a write completes, e.g. handlers wait for outcomes to be written) an
   * extra write may start however few outcomes are pending.
   */
  schedule(urgent = false): void {
    if (urgent) this.urgent = true;
    if (this.scheduled || this.backingOff || this.inFlight.size >= this.maxInFlight) return;
    if (this.inFlight.size > 0 && !this.draining && !this.urgent) return;
    this.scheduled = true;
    // `.then` on a settled promise, not queueMicrotask: Node wraps each of those in an AsyncResource.
    void settled.then(this.flushLater);
  }

  /** Resolves once nothing is pending or in flight (or the outcomes were abandoned). */
  whenSettled(): Promise<void> {
    this.draining = true;
    return new Promise((resolve) => {
      const settled = (): boolean => outcomeCount(this.pending) === 0 && this.inFlight.size === 0;
      this.idle = () => {
        if (settled()) resolve();
      };
      if (settled()) resolve();
      else this.schedule();
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.backingOff) return;
    while (this.inFlight.size < this.maxInFlight) {
      const batch = this.take();
      if (batch === undefined) break;
      void this.writeOne(batch);
    }
    if (this.inFlight.size === 0 && outcomeCount(this.pending) === 0) this.idle?.();
  }

  /** The next write's outcomes, or `undefined` when nothing may be written now. */
  private take(): Outcomes<C> | undefined {
    const count = outcomeCount(this.pending);
    if (count === 0) return undefined;
    if (this.inFlight.size === 0) {
      // This write takes what was urgent; a later extra write needs a new urgent schedule.
      this.urgent = false;
      const [batch, rest] = takeOutcomes(this.pending, this.maxPerWrite);
      this.pending = rest;
      return batch;
    }
    if (!this.draining && !this.urgent) return undefined;
    this.urgent = false;
    // Another write is in flight: leave out the ids it writes.
    const busy = this.writingIds;
    const keep = empty<C>();
    const batch = empty<C>();
    let room = this.maxPerWrite;
    const split = <T>(list: T[], into: T[], held: T[], id: (t: T) => string): void => {
      for (const item of list) {
        if (room > 0 && !busy.has(id(item))) {
          into.push(item);
          room--;
        } else held.push(item);
      }
    };
    const self = (c: C): string => c.id;
    const of = (o: { readonly claim: C }): string => o.claim.id;
    split(this.pending.acked, batch.acked, keep.acked, self);
    split(this.pending.retried, batch.retried, keep.retried, of);
    split(this.pending.deadLettered, batch.deadLettered, keep.deadLettered, of);
    split(this.pending.released, batch.released, keep.released, self);
    this.pending = keep;
    return outcomeCount(batch) === 0 ? undefined : batch;
  }

  private track(batch: Outcomes<C>, add: boolean): void {
    if (this.maxInFlight === 1) return;
    const ids = this.writingIds;
    const mark = add ? (id: string) => ids.add(id) : (id: string) => ids.delete(id);
    for (const c of batch.acked) mark(c.id);
    for (const r of batch.retried) mark(r.claim.id);
    for (const d of batch.deadLettered) mark(d.claim.id);
    for (const c of batch.released) mark(c.id);
  }

  private async writeOne(batch: Outcomes<C>): Promise<void> {
    const count = outcomeCount(batch);
    this.inFlight.add(batch);
    this.inFlightCount += count;
    this.track(batch, true);
    let failed = false;
    try {
      await this.write(batch);
      this.failures = 0;
    } catch (error) {
      failed = true;
      this.failures++;
      this.hooks.onWriteError(error);
    }
    this.inFlight.delete(batch);
    this.inFlightCount -= count;
    this.track(batch, false);
    if (!failed) {
      this.hooks.onWritten?.();
      if (this.inFlight.size === 0 && outcomeCount(this.pending) === 0) this.idle?.();
      else this.schedule();
      return;
    }
    // Keep the outcomes (leases stay extended by the heartbeat) and try again after a back-off.
    const later = this.pending;
    this.pending = {
      acked: [...batch.acked, ...later.acked],
      retried: [...batch.retried, ...later.retried],
      deadLettered: [...batch.deadLettered, ...later.deadLettered],
      released: [...batch.released, ...later.released],
    };
    if (this.hooks.mayGiveUp(this.failures)) {
      this.hooks.onGiveUp(outcomeCount(this.pending));
      this.pending = empty<C>();
      this.hooks.onWritten?.();
      if (this.inFlight.size === 0) this.idle?.();
      return;
    }
    if (this.backingOff) return;
    this.backingOff = true;
    await sleep(this.hooks.retryDelayMs(this.failures), this.hooks.signal());
    this.backingOff = false;
    this.schedule();
  }
}

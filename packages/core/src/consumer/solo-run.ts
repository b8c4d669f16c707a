import type { Logger } from '../logger.js';
import type { Claim } from './backend.js';
import { attemptsExhausted, leaseExpiredError } from './failure-policy.js';
import type { OutcomeBuffer } from './outcome-buffer.js';
import type { OutcomeRecorder } from './outcome-recorder.js';

/** What a {@link SoloRuns} needs from the consume loop. */
export interface SoloRunHost<C extends Claim> {
  readonly queue: string;
  readonly consumerId: string;
  readonly logger: Logger;
  /** Where claims given back go (`release`: attempt not counted). */
  readonly outcomes: Pick<OutcomeBuffer<C>, 'release' | 'schedule'>;
  /** Records dead letters (with their lifecycle event). */
  readonly recorder: Pick<OutcomeRecorder<C>, 'deadLetter'>;
  /** True once stop was requested. */
  stopping(): boolean;
  /** True when no handler runs, nothing is prefetched and every outcome is written. */
  quiet(): boolean;
  /** Resolves at the next handler end or outcome write (or stop); schedules pending writes. */
  nextChange(): Promise<void>;
  /** Gives back every prefetched claim (attempt not counted). */
  releaseBuffered(): void;
  /** Starts one handler call with `claim` alone (waiting for a rate-limit token if need be). */
  startAlone(claim: C): Promise<void>;
}

/**
 * Solo runs. After a crash the store cannot tell the message that killed its consumer from those
 * running beside it or prefetched with it: each claim counted an attempt, so all reach
 * `maxAttempts` together. A claim at attempt `maxAttempts + 1` (`needsSoloRun`: its lease expired
 * on its last attempt) therefore runs alone before it is judged: every other claim is given back,
 * and it starts once nothing else runs and every outcome is written. If that run too ends without
 * an outcome, its next claim (`attemptsExhausted`) is dead-lettered as `lease-expired`, and no
 * other message was charged for it. See docs/architecture.md, "Solo run".
 */
export class SoloRuns<C extends Claim> {
  /** A claim waiting for its solo run, held under lease meanwhile. */
  held: C | undefined;
  /** After a solo run the loop claims one message at a time, until a claim needs no solo run. */
  active = false;

  constructor(private readonly host: SoloRunHost<C>) {}

  /** Forgets the held claim when its lease was lost (all of them: `lost` omitted). */
  forget(lost?: ReadonlySet<C>): void {
    if (this.held !== undefined && (lost === undefined || lost.has(this.held)))
      this.held = undefined;
  }

  /** Runs `claims[index]` alone; the other claims of its round are given back or settled. */
  async run(claims: readonly C[], index: number): Promise<void> {
    const host = this.host;
    const solo = claims[index] as C;
    for (let i = 0; i < claims.length; i++) {
      const claim = claims[i] as C;
      if (i === index) continue;
      // A claim past its own solo run is settled now; the rest go back uncounted.
      if (attemptsExhausted(claim))
        host.recorder.deadLetter(claim, leaseExpiredError(claim), 'lease-expired');
      else host.outcomes.release(claim);
    }
    host.releaseBuffered();
    host.outcomes.schedule();
    this.active = true;
    this.held = solo;
    await this.untilQuiet();
    if (this.held === undefined) return; // its lease was lost meanwhile
    this.held = undefined;
    if (host.stopping()) {
      host.outcomes.release(solo);
      host.outcomes.schedule();
      return;
    }
    host.logger.warn(
      { queue: host.queue, consumerId: host.consumerId, id: solo.id, attempt: solo.attempt },
      'a message whose lease expired on its last attempt runs alone',
    );
    await host.startAlone(solo);
    // Its outcome is written before anything else is claimed: a crash now charges nobody else.
    await this.untilQuiet();
  }

  private async untilQuiet(): Promise<void> {
    while (!this.host.stopping() && !this.host.quiet()) await this.host.nextChange();
  }
}

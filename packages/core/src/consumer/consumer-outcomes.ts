import type { Logger } from '../logger.js';
import type { ResolvedConsumeOptions } from '../options.js';
import type { Claim, ConsumerBackend } from './backend.js';
import type { BackendHealth } from './circuit-breaker.js';
import { failureBackoffMs } from './failure-policy.js';
import { OutcomeBuffer } from './outcome-buffer.js';

/** Attempts at writing outstanding outcomes during `stop()` when the backend fails. */
const FINAL_SETTLE_ATTEMPTS = 3;

/** What {@link consumerOutcomes} wires the buffer to: the consumer's backend, state and loop. */
export interface ConsumerOutcomesParams<C extends Claim> {
  readonly backend: ConsumerBackend<C>;
  readonly options: ResolvedConsumeOptions;
  readonly health: BackendHealth;
  readonly logger: Logger;
  readonly queue: string;
  readonly consumerId: string;
  /** True once `stop()` was called. */
  readonly stopping: () => boolean;
  /** How many handler calls run. */
  readonly running: () => number;
  /** The consume loop's abort signal (writes made during `stop()` are not aborted by it). */
  readonly loopSignal: AbortSignal;
  /** After every completed write: start buffered handlers, wake the loop. */
  readonly onWritten: () => void;
}

/**
 * The consumer's {@link OutcomeBuffer}: writes through `backend.settle` (as many at once as the
 * backend allows), reports failures to the circuit breaker and backs off like a failed claim, and
 * at stop gives up after {@link FINAL_SETTLE_ATTEMPTS} failed writes once no handler runs (the
 * leases then expire and the messages are redelivered).
 */
export function consumerOutcomes<C extends Claim>(p: ConsumerOutcomesParams<C>): OutcomeBuffer<C> {
  const { backend, options, health, logger, queue, consumerId, stopping } = p;
  return new OutcomeBuffer<C>(
    (o) => backend.settle(o),
    {
      onWriteError: (error) => health.reportError('settle', error),
      retryDelayMs: (failures) =>
        failureBackoffMs(failures, options.minPollIntervalMs, options.pollIntervalMs),
      mayGiveUp: (failures) => stopping() && failures >= FINAL_SETTLE_ATTEMPTS && p.running() === 0,
      onGiveUp: (count) =>
        logger.error(
          { queue, consumerId, count },
          'giving up writing outcomes at stop; leases will expire and the messages will be redelivered',
        ),
      signal: () => (stopping() ? new AbortController().signal : p.loopSignal),
      onWritten: p.onWritten,
    },
    { maxInFlight: backend.maxSettlesInFlight ?? 1 },
  );
}

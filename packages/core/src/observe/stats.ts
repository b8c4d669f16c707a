import type { QueueStats, StatValue } from './types.js';

/** Raw counts as a provider reads them; `oldestReadyAt` is when the oldest due message became due. */
export interface RawStats {
  readonly ready: StatValue;
  readonly delayed: StatValue;
  readonly inFlight: StatValue;
  readonly deadLettered: StatValue;
  /** Due time (ms since epoch) of the oldest ready message; `undefined` when none is ready. */
  readonly oldestReadyAt: number | undefined | null;
}

/**
 * Turns raw counts into {@link QueueStats}: the oldest age is `now − oldestReadyAt`, 0 when
 * nothing is ready, never negative (clock skew between app and database), `null` when unknown.
 */
export function toQueueStats(queue: string, raw: RawStats, now: number): QueueStats {
  const oldestReadyAgeMs =
    raw.oldestReadyAt === null
      ? null
      : raw.oldestReadyAt === undefined
        ? 0
        : Math.max(0, now - raw.oldestReadyAt);
  return {
    queue,
    at: new Date(now),
    ready: raw.ready,
    delayed: raw.delayed,
    inFlight: raw.inFlight,
    deadLettered: raw.deadLettered,
    oldestReadyAgeMs,
  };
}

import type { Logger, MessageQueue, QueueStats } from '@mqkit/core';
import type { ActivityTotals, ActivityTracker } from './activity.js';

/** One sample of a queue: its `stats()` and the activity totals at that moment. */
export interface Sample {
  readonly stats: QueueStats;
  readonly totals: ActivityTotals | undefined;
}

/** Throughput and failure rate of a queue over the samples' window. */
export interface Rates {
  /** Messages handled per minute; undefined without an activity tracker or with < 2 samples. */
  readonly perMinute: number | undefined;
  /** Failed attempts / (failed + succeeded), 0–1; undefined when nothing was handled. */
  readonly failureRate: number | undefined;
  /** Window the rates cover, in ms. */
  readonly windowMs: number;
}

/**
 * Pure: rates between the oldest and newest sample at most `windowMs` apart. Totals only grow,
 * so the difference is what was handled in between. `startedAt` (when the tracker started
 * counting from zero) counts as a sample of zeros, so a queue first seen after work was already
 * done still gets a rate.
 */
export function ratesOf(samples: readonly Sample[], windowMs: number, startedAt?: Date): Rates {
  const last = samples[samples.length - 1];
  if (last?.totals === undefined)
    return { perMinute: undefined, failureRate: undefined, windowMs: 0 };
  const since = last.stats.at.getTime() - windowMs;
  const points = samples.flatMap((s) =>
    s.totals ? [{ at: s.stats.at.getTime(), totals: s.totals }] : [],
  );
  if (startedAt !== undefined)
    points.unshift({ at: startedAt.getTime(), totals: { succeeded: 0, failed: 0 } });
  const first = points.find((p) => p.at >= since) ?? {
    at: last.stats.at.getTime(),
    totals: last.totals,
  };
  const span = last.stats.at.getTime() - first.at;
  const ok = last.totals.succeeded - first.totals.succeeded;
  const failed = last.totals.failed - first.totals.failed;
  return {
    perMinute: span > 0 ? (ok * 60_000) / span : undefined,
    failureRate: ok + failed > 0 ? failed / (ok + failed) : undefined,
    windowMs: span,
  };
}

/**
 * Samples `stats()` of every queue in-process on a timer (unref'd: it never keeps the process
 * alive), keeping the last `size` samples per queue for the charts and rates.
 */
export class StatsSampler {
  readonly #history = new Map<string, Sample[]>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly queue: MessageQueue,
    private readonly names: () => Promise<string[]>,
    private readonly activity: ActivityTracker | undefined,
    private readonly size: number,
    private readonly logger: Logger,
  ) {}

  /** Starts sampling every `intervalMs` (the first sample at once). */
  start(intervalMs: number): void {
    if (this.#timer) return;
    void this.sampleNow();
    this.#timer = setInterval(() => void this.sampleNow(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer (samples already taken stay readable). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample of every queue (joins a sampling already running). */
  sampleNow(): Promise<void> {
    this.#running ??= this.#sample().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Records a `stats()` read elsewhere (a page view) as a sample. */
  record(stats: QueueStats): void {
    const totals = this.activity?.totals(stats.queue);
    const list = this.#history.get(stats.queue) ?? [];
    list.push({ stats, totals });
    if (list.length > this.size) list.splice(0, list.length - this.size);
    this.#history.set(stats.queue, list);
  }

  /** Samples of `queue`, oldest first. */
  history(queue: string): readonly Sample[] {
    return this.#history.get(queue) ?? [];
  }

  async #sample(): Promise<void> {
    try {
      const names = await this.names();
      const stats = await Promise.all(names.map((n) => this.queue.stats(n)));
      for (const s of stats) this.record(s);
    } catch (error) {
      this.logger.warn(
        {
          err:
            error instanceof Error ? { name: error.name, message: error.message } : String(error),
        },
        '[@mqkit/dashboard] stats sampling failed; retrying at the next interval',
      );
    }
  }
}

import type { MessageQueue, QueueStats } from '@mqkit/core';

/** One watched queue: the instance that answers `stats()`, and the queue name. */
export interface Watched {
  readonly mq: Pick<MessageQueue, 'provider' | 'stats'>;
  readonly queue: string;
}

/** A sampled result: stats, or why there are none. */
export type Sample =
  | { readonly ok: true; readonly stats: QueueStats; readonly at: number }
  | { readonly ok: false; readonly error: unknown; readonly at: number };

/**
 * Samples `stats()` of watched queues at scrape time: each call is bounded by `timeoutMs`, a
 * result is reused for `cacheMs`, and concurrent scrapes share one call in flight — so a slow
 * backend slows no scrape beyond the timeout and a scrape storm costs one query per queue.
 */
export class StatsSampler {
  private readonly cache = new Map<Watched, Sample>();
  private readonly pending = new Map<Watched, Promise<Sample>>();

  constructor(
    private readonly timeoutMs: number,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets a queue's cached sample (on unwatch). */
  forget(w: Watched): void {
    this.cache.delete(w);
  }

  /** The sample of `w`: cached when fresh, else one bounded `stats()` call. Never rejects. */
  sample(w: Watched): Promise<Sample> {
    const cached = this.cache.get(w);
    if (cached !== undefined && this.now() - cached.at < this.cacheMs)
      return Promise.resolve(cached);
    const inFlight = this.pending.get(w);
    if (inFlight !== undefined) return inFlight;
    const call = this.call(w).then((s) => {
      this.pending.delete(w);
      this.cache.set(w, s);
      return s;
    });
    this.pending.set(w, call);
    return call;
  }

  private async call(w: Watched): Promise<Sample> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`stats(${w.queue}) took longer than ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
    });
    try {
      const stats = await Promise.race([
        Promise.resolve().then(() => w.mq.stats(w.queue)),
        timeout,
      ]);
      return { ok: true, stats, at: this.now() };
    } catch (error) {
      return { ok: false, error, at: this.now() };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Plain-number accumulators the lifecycle updates on every event. prom-client is touched only at
 * scrape time (see metrics.ts): an event costs a couple of Map lookups and additions, which is
 * what keeps the provider within a few percent of a million-messages-per-second drain.
 */

/** A histogram as counts per bucket (not cumulative; the last slot is +Inf), sum and count. */
export class Hist {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** The bounds as unboxed doubles (a frozen number[] holds boxed ones). */
  private readonly limits: Float64Array;
  /** The previous observation's bucket: a batch's messages were mostly published together. */
  private hint = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
    this.limits = Float64Array.from(bounds);
  }

  /** Adds `times` observations (default one) of `value` (seconds). */
  observe(value: number, times = 1): void {
    const limits = this.limits;
    const n = limits.length;
    let i = this.hint;
    const fits =
      (i === n || value <= (limits[i] as number)) && (i === 0 || value > (limits[i - 1] as number));
    if (!fits) {
      i = 0;
      while (i < n && value > (limits[i] as number)) i++;
      this.hint = i;
    }
    this.counts[i] = (this.counts[i] as number) + times;
    this.sum += value * times;
    this.count += times;
  }
}

/** Counters and histograms of one (queue, provider[, type]). */
export class MessageSeries {
  published = 0;
  delivered = 0;
  succeeded = 0;
  failed = 0;
  retried = 0;
  readonly deadLettered = new Map<string, number>();
  readonly durationSuccess: Hist;
  readonly durationFailure: Hist;
  readonly age: Hist;

  constructor(durationBounds: readonly number[], ageBounds: readonly number[]) {
    this.durationSuccess = new Hist(durationBounds);
    this.durationFailure = new Hist(durationBounds);
    this.age = new Hist(ageBounds);
  }
}

/** Everything kept for one (queue, provider). */
export class QueueSeries {
  /** Message series by type ('' when `includeType` is off). */
  readonly byType = new Map<string, MessageSeries>();
  inFlight = 0;
  runningConsumers = 0;
  circuitOpen: number | undefined;
  readonly backendErrors = new Map<string, number>();
  leaseRenewalFailures = 0;
  leasesLost = 0;
  rebalances = 0;
  ownedShards: number | undefined;
  /** Seconds behind the tip, by shard. */
  readonly shardLag = new Map<string, number>();
  /** Last checkpoint time (ms since epoch), by shard. */
  readonly checkpoints = new Map<string, number>();

  constructor(
    readonly queue: string,
    readonly provider: string,
    private readonly durationBounds: readonly number[],
    private readonly ageBounds: readonly number[],
  ) {}

  private untypedSeries: MessageSeries | undefined;

  /** The message series without a type (`includeType` off), created on first use. */
  untyped(): MessageSeries {
    if (this.untypedSeries === undefined) this.untypedSeries = this.messages('');
    return this.untypedSeries;
  }

  /** The message series of `type` (created on first use). */
  messages(type: string): MessageSeries {
    let s = this.byType.get(type);
    if (s === undefined) {
      s = new MessageSeries(this.durationBounds, this.ageBounds);
      this.byType.set(type, s);
    }
    return s;
  }
}

/** All series of one metric set: queue → provider → series. */
export class SeriesStore {
  private readonly queues = new Map<string, Map<string, QueueSeries>>();
  /** Lifecycle provider failures by `lifecycle\0event`. */
  readonly lifecycleErrors = new Map<string, { lifecycle: string; event: string; n: number }>();

  constructor(
    private readonly durationBounds: readonly number[],
    private readonly ageBounds: readonly number[],
  ) {}

  /** The series of (queue, provider), created on first use. */
  of(queue: string, provider: string): QueueSeries {
    let byProvider = this.queues.get(queue);
    if (byProvider === undefined) {
      byProvider = new Map();
      this.queues.set(queue, byProvider);
    }
    let s = byProvider.get(provider);
    if (s === undefined) {
      s = new QueueSeries(queue, provider, this.durationBounds, this.ageBounds);
      byProvider.set(provider, s);
    }
    return s;
  }

  /** Every (queue, provider) series. */
  *all(): IterableIterator<QueueSeries> {
    for (const byProvider of this.queues.values()) yield* byProvider.values();
  }

  /** Counts one lifecycle provider failure. */
  lifecycleError(lifecycle: string, event: string): void {
    const key = `${lifecycle}\0${event}`;
    const e = this.lifecycleErrors.get(key);
    if (e === undefined) this.lifecycleErrors.set(key, { lifecycle, event, n: 1 });
    else e.n++;
  }
}

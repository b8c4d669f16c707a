import { ConfigurationError } from '@mqkit/core';
import type { Metric, Registry } from 'prom-client';
import { METRIC } from './names.js';
import type { ResolvedPrometheusOptions } from './options.js';
import { StatsSampler, type Watched } from './sampler.js';
import { type Hist, type MessageSeries, type QueueSeries, SeriesStore } from './series.js';

type Labels = Record<string, string | number>;
/** The exposition type of a metric. */
type Kind = 'counter' | 'gauge' | 'histogram';

/** One exported sample, as prom-client's registry formats it. */
interface Value {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * A metric whose samples are computed from the {@link SeriesStore} when the registry is read:
 * prom-client formats it like its own (it only calls `get()`), and events never touch prom-client.
 */
class StoreMetric {
  readonly aggregator = 'sum';

  constructor(
    public name: string,
    readonly help: string,
    readonly type: Kind,
    private readonly values: () => Value[] | Promise<Value[]>,
  ) {}

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: await this.values(),
      aggregator: this.aggregator,
    };
  }

  /** Values live in the store; there is nothing of the metric's own to reset. */
  reset(): void {}
}

/** Every metric of one registry + prefix, shared by all lifecycles created on them. */
export interface MetricSet {
  readonly includeType: boolean;
  readonly store: SeriesStore;
  /** Queues whose depth and oldest age are sampled at scrape time. */
  readonly watched: Set<Watched>;
  readonly sampler: StatsSampler;
}

const sets = new WeakMap<Registry, Map<string, MetricSet>>();

/**
 * The metrics of `registry` under `prefix`, created on first use. A second lifecycle on the same
 * registry and prefix reuses them (no "already registered" error) and must agree on
 * `includeType`, else {@link ConfigurationError}.
 */
export function metricSet(registry: Registry, o: ResolvedPrometheusOptions): MetricSet {
  let byPrefix = sets.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    sets.set(registry, byPrefix);
  }
  const existing = byPrefix.get(o.prefix);
  if (existing !== undefined) {
    if (existing.includeType !== o.includeType)
      throw new ConfigurationError(
        'includeType',
        `[@mqkit/prometheus] option "includeType" must match the lifecycle already using prefix "${o.prefix}" on this registry (${existing.includeType}); use another prefix or registry`,
      );
    return existing;
  }
  const set: MetricSet = {
    includeType: o.includeType,
    store: new SeriesStore(o.durationBuckets, o.ageBuckets),
    watched: new Set(),
    sampler: new StatsSampler(o.statsTimeoutMs, o.statsCacheMs),
  };
  register(registry, o, set);
  byPrefix.set(o.prefix, set);
  return set;
}

const base = (s: QueueSeries): Labels => ({ queue: s.queue, provider: s.provider });

function histogramValues(name: string, labels: Labels, h: Hist): Value[] {
  const out: Value[] = [];
  let cumulative = 0;
  h.bounds.forEach((le, i) => {
    cumulative += h.counts[i] as number;
    out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` });
  });
  out.push({ labels: { le: '+Inf', ...labels }, value: h.count, metricName: `${name}_bucket` });
  out.push({ labels, value: h.sum, metricName: `${name}_sum` });
  out.push({ labels, value: h.count, metricName: `${name}_count` });
  return out;
}

function register(registry: Registry, o: ResolvedPrometheusOptions, set: MetricSet): void {
  const { store, watched, sampler } = set;
  const p = o.prefix;
  const add = (
    name: string,
    help: string,
    type: Kind,
    values: () => Value[] | Promise<Value[]>,
  ) => {
    if (registry.getSingleMetric(p + name) !== undefined)
      throw new ConfigurationError(
        'prefix',
        `[@mqkit/prometheus] metric "${p + name}" is already registered by something else on this registry; pass another "prefix" or "registry"`,
      );
    registry.registerMetric(new StoreMetric(p + name, help, type, values) as unknown as Metric);
  };
  /** Samples of every (queue, provider) series, via `pick` (undefined: no sample). */
  const perQueue = (pick: (s: QueueSeries) => number | undefined) => () => {
    const out: Value[] = [];
    for (const s of store.all()) {
      const value = pick(s);
      if (value !== undefined) out.push({ labels: base(s), value });
    }
    return out;
  };
  const msgLabels = (s: QueueSeries, type: string): Labels =>
    o.includeType ? { ...base(s), type } : base(s);
  const perMessageSeries = (pick: (m: MessageSeries) => number) => () => {
    const out: Value[] = [];
    for (const s of store.all())
      for (const [type, m] of s.byType) out.push({ labels: msgLabels(s, type), value: pick(m) });
    return out;
  };
  const perKey = (pick: (s: QueueSeries) => Map<string, number>, label: string) => () => {
    const out: Value[] = [];
    for (const s of store.all())
      for (const [key, value] of pick(s)) out.push({ labels: { ...base(s), [label]: key }, value });
    return out;
  };

  // The per-message counters: one series per (queue, type), read from the message series.
  const messageCounters: [string, string, (m: MessageSeries) => number][] = [
    [
      METRIC.published,
      'Messages stored by publish() (deduplicated ones excluded)',
      (m) => m.published,
    ],
    [METRIC.delivered, 'Messages handed to a handler (every attempt)', (m) => m.delivered],
    [METRIC.succeeded, 'Messages whose handler succeeded (acknowledged)', (m) => m.succeeded],
    [METRIC.failed, 'Failed handler attempts (retried or dead-lettered)', (m) => m.failed],
    [METRIC.retried, 'Failed messages scheduled for another attempt', (m) => m.retried],
  ];
  for (const [name, help, pick] of messageCounters)
    add(name, help, 'counter', perMessageSeries(pick));
  add(
    METRIC.deadLettered,
    'Messages moved to the dead letters, by reason (max-attempts, non-retryable, poison, lease-expired)',
    'counter',
    () => {
      const out: Value[] = [];
      for (const s of store.all())
        for (const [type, m] of s.byType)
          for (const [reason, value] of m.deadLettered)
            out.push({ labels: { ...msgLabels(s, type), reason }, value });
      return out;
    },
  );
  add(
    METRIC.handlerDuration,
    'Handler call duration in seconds, by outcome (success: per batch; failure: per failed message)',
    'histogram',
    () => {
      const name = p + METRIC.handlerDuration;
      const out: Value[] = [];
      for (const s of store.all())
        for (const [type, m] of s.byType) {
          if (m.durationSuccess.count > 0)
            out.push(
              ...histogramValues(
                name,
                { ...msgLabels(s, type), outcome: 'success' },
                m.durationSuccess,
              ),
            );
          if (m.durationFailure.count > 0)
            out.push(
              ...histogramValues(
                name,
                { ...msgLabels(s, type), outcome: 'failure' },
                m.durationFailure,
              ),
            );
        }
      return out;
    },
  );
  add(
    METRIC.messageAge,
    'Seconds from publish to successful handling, per message',
    'histogram',
    () => {
      const name = p + METRIC.messageAge;
      const out: Value[] = [];
      for (const s of store.all())
        for (const [type, m] of s.byType)
          if (m.age.count > 0) out.push(...histogramValues(name, msgLabels(s, type), m.age));
      return out;
    },
  );
  add(
    METRIC.inFlight,
    'Messages being handled by this process',
    'gauge',
    perQueue((s) => s.inFlight),
  );
  add(
    METRIC.circuitOpen,
    '1 while a consumer circuit is open (the backend keeps failing)',
    'gauge',
    perQueue((s) => s.circuitOpen),
  );
  add(
    METRIC.backendErrors,
    'Failed backend operations (claim, extend, settle, …) that the consumer retried',
    'counter',
    perKey((s) => s.backendErrors, 'operation'),
  );
  // Per-queue counters shown once they are non-zero (stream and lease-based providers).
  const queueCounters: [string, string, (s: QueueSeries) => number][] = [
    [
      METRIC.leaseRenewalFailures,
      'Lease extensions (heartbeats, shard lease renewals) that failed',
      (s) => s.leaseRenewalFailures,
    ],
    [METRIC.leasesLost, 'Leases lost to another owner or to expiry', (s) => s.leasesLost],
    [METRIC.rebalances, 'Shard rebalances performed by this instance', (s) => s.rebalances],
  ];
  for (const [name, help, pick] of queueCounters)
    add(
      name,
      help,
      'counter',
      perQueue((s) => (pick(s) > 0 ? pick(s) : undefined)),
    );
  add(
    METRIC.ownedShards,
    'Shards this instance holds a lease on',
    'gauge',
    perQueue((s) => s.ownedShards),
  );
  add(
    METRIC.shardLag,
    "Seconds the consumer is behind the stream's tip on a shard (Kinesis MillisBehindLatest / 1000)",
    'gauge',
    perKey((s) => s.shardLag, 'shard'),
  );
  add(
    METRIC.checkpointAge,
    'Seconds since the last checkpoint of a shard (stream providers)',
    'gauge',
    () => {
      const now = Date.now();
      const out: Value[] = [];
      for (const s of store.all())
        for (const [shard, at] of s.checkpoints)
          out.push({ labels: { ...base(s), shard }, value: (now - at) / 1000 });
      return out;
    },
  );
  add(
    METRIC.lifecycleErrors,
    'Exceptions or rejections of lifecycle providers (isolated: processing continued)',
    'counter',
    () =>
      [...store.lifecycleErrors.values()].map((e) => ({
        labels: { lifecycle: e.lifecycle, event: e.event },
        value: e.n,
      })),
  );

  // Depth and oldest age: sampled from stats() when Prometheus scrapes, never per message. One
  // sample per queue serves the three metrics below (the sampler shares the call in flight).
  const statsErrors = new Map<Watched, number>();
  add(
    METRIC.queueMessages,
    'Messages of a queue by state (ready, delayed, in_flight, dead_lettered), from stats() at scrape time',
    'gauge',
    async () => {
      const out: Value[] = [];
      await Promise.all(
        [...watched].map(async (w) => {
          const s = await sampler.sample(w);
          if (!s.ok) return;
          const labels = { queue: w.queue, provider: w.mq.provider };
          const states = [
            ['ready', s.stats.ready],
            ['delayed', s.stats.delayed],
            ['in_flight', s.stats.inFlight],
            ['dead_lettered', s.stats.deadLettered],
          ] as const;
          // A null count has no meaning for this provider: no series rather than a fake 0.
          for (const [state, value] of states)
            if (value !== null) out.push({ labels: { ...labels, state }, value });
        }),
      );
      return out;
    },
  );
  add(
    METRIC.oldestReadyAge,
    'How long the oldest due message of a queue has waited, from stats() at scrape time',
    'gauge',
    async () => {
      const out: Value[] = [];
      await Promise.all(
        [...watched].map(async (w) => {
          const s = await sampler.sample(w);
          if (!s.ok) {
            // Counted here only, so one failed sample counts once per scrape.
            statsErrors.set(w, (statsErrors.get(w) ?? 0) + 1);
            return;
          }
          if (s.stats.oldestReadyAgeMs !== null)
            out.push({
              labels: { queue: w.queue, provider: w.mq.provider },
              value: s.stats.oldestReadyAgeMs / 1000,
            });
        }),
      );
      return out;
    },
  );
  add(
    METRIC.statsErrors,
    'Scrapes at which stats() of a queue failed or timed out (its depth and oldest age are then absent)',
    'counter',
    async () => {
      // Sample first, so the count includes this scrape whatever order the registry reads in.
      await Promise.all([...watched].map((w) => sampler.sample(w)));
      return [...watched].map((w) => ({
        labels: { queue: w.queue, provider: w.mq.provider },
        value: statsErrors.get(w) ?? 0,
      }));
    },
  );
}

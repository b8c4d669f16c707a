import { ConfigurationError } from '@mqkit/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC } from './names.js';
import type { ResolvedPrometheusOptions } from './options.js';
import { StatsSampler, type Watched } from './sampler.js';

type L = string;

/** Every metric of one registry + prefix, shared by all lifecycles created on them. */
export interface MetricSet {
  readonly includeType: boolean;
  readonly published: Counter<L>;
  readonly delivered: Counter<L>;
  readonly succeeded: Counter<L>;
  readonly failed: Counter<L>;
  readonly retried: Counter<L>;
  readonly deadLettered: Counter<L>;
  readonly handlerDuration: Histogram<L>;
  readonly messageAge: Histogram<L>;
  readonly inFlight: Gauge<L>;
  readonly circuitOpen: Gauge<L>;
  readonly backendErrors: Counter<L>;
  readonly leaseRenewalFailures: Counter<L>;
  readonly leasesLost: Counter<L>;
  readonly rebalances: Counter<L>;
  readonly ownedShards: Gauge<L>;
  readonly shardLag: Gauge<L>;
  readonly lifecycleErrors: Counter<L>;
  readonly statsErrors: Counter<L>;
  /** Queues whose depth and oldest age are sampled at scrape time. */
  readonly watched: Set<Watched>;
  readonly sampler: StatsSampler;
  /** Last checkpoint time per `queue\0provider\0shard`, read at scrape time. */
  readonly checkpoints: Map<string, { queue: string; provider: string; shard: string; at: number }>;
}

const sets = new WeakMap<Registry, Map<string, MetricSet>>();

/**
 * The metrics of `registry` under `prefix`, created on first use. A second lifecycle on the same
 * registry and prefix reuses them (no "already registered" error) and must use the same label
 * set and buckets, else {@link ConfigurationError}.
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
  const set = createMetricSet(registry, o);
  byPrefix.set(o.prefix, set);
  return set;
}

function createMetricSet(registry: Registry, o: ResolvedPrometheusOptions): MetricSet {
  const p = o.prefix;
  const registers = [registry];
  const base = ['queue', 'provider'];
  const msg = o.includeType ? [...base, 'type'] : base;
  const taken = (name: string) => {
    if (registry.getSingleMetric(p + name) !== undefined)
      throw new ConfigurationError(
        'prefix',
        `[@mqkit/prometheus] metric "${p + name}" is already registered by something else on this registry; pass another "prefix" or "registry"`,
      );
    return p + name;
  };
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name: taken(name), help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name: taken(name), help, labelNames, registers });

  const watched = new Set<Watched>();
  const sampler = new StatsSampler(o.statsTimeoutMs, o.statsCacheMs);
  const checkpoints: MetricSet['checkpoints'] = new Map();
  const statsErrors = counter(
    METRIC.statsErrors,
    'Scrapes at which stats() of a queue failed or timed out (its depth and oldest age are then absent)',
    base,
  );

  // Depth and oldest age: sampled from stats() when Prometheus scrapes, never per message.
  new Gauge({
    name: taken(METRIC.queueMessages),
    help: 'Messages of a queue by state (ready, delayed, in_flight, dead_lettered), from stats() at scrape time',
    labelNames: [...base, 'state'],
    registers,
    async collect() {
      this.reset();
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
            if (value !== null) this.set({ ...labels, state }, value);
        }),
      );
    },
  });
  new Gauge({
    name: taken(METRIC.oldestReadyAge),
    help: 'How long the oldest due message of a queue has waited, from stats() at scrape time',
    labelNames: base,
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        [...watched].map(async (w) => {
          const s = await sampler.sample(w);
          const labels = { queue: w.queue, provider: w.mq.provider };
          if (!s.ok) {
            // Counted once per failed sample, not once per gauge.
            statsErrors.inc(labels);
            return;
          }
          if (s.stats.oldestReadyAgeMs !== null) this.set(labels, s.stats.oldestReadyAgeMs / 1000);
        }),
      );
    },
  });
  new Gauge({
    name: taken(METRIC.checkpointAge),
    help: 'Seconds since the last checkpoint of a shard (stream providers)',
    labelNames: [...base, 'shard'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const c of checkpoints.values())
        this.set({ queue: c.queue, provider: c.provider, shard: c.shard }, (now - c.at) / 1000);
    },
  });

  return {
    includeType: o.includeType,
    published: counter(
      METRIC.published,
      'Messages stored by publish() (deduplicated ones excluded)',
      msg,
    ),
    delivered: counter(METRIC.delivered, 'Messages handed to a handler (every attempt)', msg),
    succeeded: counter(METRIC.succeeded, 'Messages whose handler succeeded (acknowledged)', msg),
    failed: counter(METRIC.failed, 'Failed handler attempts (retried or dead-lettered)', msg),
    retried: counter(METRIC.retried, 'Failed messages scheduled for another attempt', msg),
    deadLettered: counter(
      METRIC.deadLettered,
      'Messages moved to the dead letters, by reason (max-attempts, non-retryable, poison, lease-expired)',
      [...msg, 'reason'],
    ),
    handlerDuration: new Histogram({
      name: taken(METRIC.handlerDuration),
      help: 'Handler call duration in seconds, by outcome (success: per batch; failure: per failed message)',
      labelNames: [...msg, 'outcome'],
      buckets: [...o.durationBuckets],
      registers,
    }),
    messageAge: new Histogram({
      name: taken(METRIC.messageAge),
      help: 'Seconds from publish to successful handling, per message',
      labelNames: msg,
      buckets: [...o.ageBuckets],
      registers,
    }),
    inFlight: gauge(METRIC.inFlight, 'Messages being handled by this process', base),
    circuitOpen: gauge(
      METRIC.circuitOpen,
      '1 while a consumer circuit is open (the backend keeps failing)',
      base,
    ),
    backendErrors: counter(
      METRIC.backendErrors,
      'Failed backend operations (claim, extend, settle, …) that the consumer retried',
      [...base, 'operation'],
    ),
    leaseRenewalFailures: counter(
      METRIC.leaseRenewalFailures,
      'Lease extensions (heartbeats, shard lease renewals) that failed',
      base,
    ),
    leasesLost: counter(METRIC.leasesLost, 'Leases lost to another owner or to expiry', base),
    rebalances: counter(METRIC.rebalances, 'Shard rebalances performed by this instance', base),
    ownedShards: gauge(METRIC.ownedShards, 'Shards this instance holds a lease on', base),
    shardLag: gauge(
      METRIC.shardLag,
      "Seconds the consumer is behind the stream's tip on a shard (Kinesis MillisBehindLatest / 1000)",
      [...base, 'shard'],
    ),
    lifecycleErrors: counter(
      METRIC.lifecycleErrors,
      'Exceptions or rejections of lifecycle providers (isolated: processing continued)',
      ['lifecycle', 'event'],
    ),
    statsErrors,
    watched,
    sampler,
    checkpoints,
  };
}

import type {
  LifecycleErrorHook,
  LifecycleEvent,
  LifecycleProvider,
  MessageInfo,
  MessageQueue,
} from '@mqkit/core';
import { ConfigurationError } from '@mqkit/core';
import { type Registry, register } from 'prom-client';
import { type MetricSet, metricSet } from './metrics.js';
import { type PrometheusLifecycleOptions, resolvePrometheusOptions } from './options.js';
import type { Watched } from './sampler.js';

/** The lifecycle provider `createPrometheusLifecycle` returns. */
export interface PrometheusLifecycle extends LifecycleProvider {
  /** The registry holding the metrics (serve `registry.metrics()` on `/metrics`). */
  readonly registry: Registry;
  /**
   * Samples `mq.stats(queue)` for each queue at scrape time (depth by state, oldest ready age),
   * with the configured timeout and cache. Returns a function that stops watching them.
   */
  watch(
    mq: Pick<MessageQueue, 'provider' | 'stats'>,
    queues: string | readonly string[],
  ): () => void;
  /**
   * Pass as the queue option `onLifecycleError` to count other lifecycle providers' failures in
   * `<prefix>lifecycle_errors_total`. Never throws.
   */
  readonly onLifecycleError: LifecycleErrorHook;
}

/**
 * Creates a lifecycle provider that maps mqkit events to prom-client metrics (names and labels in
 * docs/metrics.md). Attach it to any number of queues through their `lifecycle` option; several
 * lifecycles on one registry and prefix share the metrics. Throws `ConfigurationError` on bad
 * options. Labels are bounded: `queue`, `provider`, `outcome`/`reason`/`state`, and `type` only
 * with `includeType`.
 */
export function createPrometheusLifecycle(
  options?: PrometheusLifecycleOptions,
): PrometheusLifecycle {
  const resolved = resolvePrometheusOptions(options);
  const registry = resolved.registry ?? register;
  const m = metricSet(registry, resolved);
  const onEvent = eventHandler(m);
  return {
    name: 'prometheus',
    registry,
    onEvent,
    watch(mq, queues) {
      const list = typeof queues === 'string' ? [queues] : [...queues];
      if (list.length === 0 || list.some((q) => typeof q !== 'string' || q.length === 0))
        throw new ConfigurationError(
          'queues',
          '[@mqkit/prometheus] watch() needs one or more queue names',
        );
      const added: Watched[] = list.map((queue) => ({ mq, queue }));
      for (const w of added) m.watched.add(w);
      return () => {
        for (const w of added) {
          m.watched.delete(w);
          m.sampler.forget(w);
        }
      };
    },
    onLifecycleError(_error, event, provider) {
      try {
        m.lifecycleErrors.inc({ lifecycle: provider.name, event: event.type });
      } catch {
        // Counting must never add a failure of its own.
      }
    },
  };
}

/** Builds the event → metric mapping; per-label children are cached so an event costs no hashing of label objects. */
function eventHandler(m: MetricSet): (event: LifecycleEvent) => void {
  const withType = m.includeType;
  const children = new Map<string, Map<string, { inc(n?: number): void }>>();
  /** Message counter child for (queue, provider[, type]). */
  const child = (
    metric: MetricSet['published'],
    key: string,
    queue: string,
    provider: string,
    type: string,
  ) => {
    let byMetric = children.get(key);
    if (byMetric === undefined) {
      byMetric = new Map();
      children.set(key, byMetric);
    }
    const k = withType ? `${queue}\0${provider}\0${type}` : `${queue}\0${provider}`;
    let c = byMetric.get(k);
    if (c === undefined) {
      c = withType ? metric.labels(queue, provider, type) : metric.labels(queue, provider);
      byMetric.set(k, c);
    }
    return c;
  };
  /** Counts messages per type when `includeType`, else once with their number. */
  const countMessages = (
    metric: MetricSet['published'],
    key: string,
    e: { queue: string; provider: string },
    messages: readonly { type: string }[],
  ) => {
    if (!withType) {
      child(metric, key, e.queue, e.provider, '').inc(messages.length);
      return;
    }
    for (const msg of messages) child(metric, key, e.queue, e.provider, msg.type).inc();
  };
  const msgLabels = (e: { queue: string; provider: string }, msg: { type: string }) =>
    withType
      ? { queue: e.queue, provider: e.provider, type: msg.type }
      : { queue: e.queue, provider: e.provider };
  const base = (e: { queue: string; provider: string }) => ({
    queue: e.queue,
    provider: e.provider,
  });
  /** Consumers running per queue+provider: the in-flight gauge is reset when the last stops. */
  const running = new Map<string, number>();

  const observeAges = (
    e: { queue: string; provider: string },
    messages: readonly MessageInfo[],
    now: number,
  ) => {
    if (!withType) {
      const h = m.messageAge.labels(e.queue, e.provider);
      for (const msg of messages) h.observe(Math.max(0, now - msg.createdAt.getTime()) / 1000);
      return;
    }
    for (const msg of messages)
      m.messageAge.observe(msgLabels(e, msg), Math.max(0, now - msg.createdAt.getTime()) / 1000);
  };

  return (event) => {
    switch (event.type) {
      case 'published':
        countMessages(m.published, 'p', event, event.messages);
        return;
      case 'delivered':
        countMessages(m.delivered, 'd', event, event.messages);
        m.inFlight.inc(base(event), event.messages.length);
        return;
      case 'succeeded': {
        countMessages(m.succeeded, 's', event, event.messages);
        m.inFlight.dec(base(event), event.messages.length);
        const first = event.messages[0];
        if (first !== undefined)
          m.handlerDuration.observe(
            { ...msgLabels(event, first), outcome: 'success' },
            event.durationMs / 1000,
          );
        observeAges(event, event.messages, Date.now());
        return;
      }
      case 'failed':
        m.failed.inc(msgLabels(event, event.message));
        m.inFlight.dec(base(event));
        m.handlerDuration.observe(
          { ...msgLabels(event, event.message), outcome: 'failure' },
          event.durationMs / 1000,
        );
        return;
      case 'retried':
        m.retried.inc(msgLabels(event, event.message));
        return;
      case 'deadLettered':
        m.deadLettered.inc({ ...msgLabels(event, event.message), reason: event.reason });
        return;
      case 'consumerStarted': {
        const k = `${event.queue}\0${event.provider}`;
        running.set(k, (running.get(k) ?? 0) + 1);
        m.inFlight.inc(base(event), 0);
        return;
      }
      case 'consumerStopped': {
        const k = `${event.queue}\0${event.provider}`;
        const left = (running.get(k) ?? 1) - 1;
        if (left > 0) running.set(k, left);
        else {
          running.delete(k);
          // Released or abandoned messages emit no outcome: nothing is in flight once every consumer stopped.
          m.inFlight.set(base(event), 0);
        }
        return;
      }
      case 'circuitOpened':
        m.circuitOpen.set(base(event), 1);
        return;
      case 'circuitClosed':
        m.circuitOpen.set(base(event), 0);
        return;
      case 'backendError':
        m.backendErrors.inc({ ...base(event), operation: event.operation });
        return;
      case 'heartbeatFailed':
        m.leaseRenewalFailures.inc(base(event));
        return;
      case 'leaseLost':
        m.leasesLost.inc(base(event));
        return;
      case 'rebalanced':
        m.rebalances.inc(base(event));
        m.ownedShards.set(base(event), event.owned.length);
        return;
      case 'shardLag':
        m.shardLag.set({ ...base(event), shard: event.shard }, event.millisBehindLatest / 1000);
        return;
      case 'checkpointed':
        m.checkpoints.set(`${event.queue}\0${event.provider}\0${event.lease}`, {
          queue: event.queue,
          provider: event.provider,
          shard: event.lease,
          at: Date.now(),
        });
        return;
      case 'leaseReleased':
        // A released shard has no checkpoint age or lag of ours any more.
        m.checkpoints.delete(`${event.queue}\0${event.provider}\0${event.lease}`);
        m.shardLag.remove({ ...base(event), shard: event.lease });
        return;
      default:
        return;
    }
  };
}

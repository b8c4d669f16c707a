import type {
  LifecycleErrorHook,
  LifecycleEvent,
  LifecycleProvider,
  MessageInfoList,
  MessageQueue,
} from '@mqkit/core';
import { ConfigurationError } from '@mqkit/core';
import { type Registry, register } from 'prom-client';
import { type MetricSet, metricSet } from './metrics.js';
import { type PrometheusLifecycleOptions, resolvePrometheusOptions } from './options.js';
import type { Watched } from './sampler.js';
import type { Hist, QueueSeries } from './series.js';

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
        m.store.lifecycleError(provider.name, event.type);
      } catch {
        // Counting must never add a failure of its own.
      }
    },
  };
}

/**
 * Builds the event → series mapping. An event costs two string comparisons (the same queue and
 * provider as the previous event) or two Map lookups, plus plain additions; prom-client is only
 * read at scrape time, and no event reads the clock (`succeeded` carries `finishedAt`).
 */
function eventHandler(m: MetricSet): (event: LifecycleEvent) => void {
  const { store, includeType } = m;
  const typeOf = (msg: { type: string }): string => (includeType ? msg.type : '');
  // A consumer's events come in long runs for one (queue, provider): remember the last series.
  let lastQueue = '';
  let lastProvider = '';
  let last: QueueSeries | undefined;
  const seriesOf = (queue: string, provider: string): QueueSeries => {
    if (last !== undefined && queue === lastQueue && provider === lastProvider) return last;
    last = store.of(queue, provider);
    lastQueue = queue;
    lastProvider = provider;
    return last;
  };

  return (event) => {
    const q = seriesOf(event.queue, event.provider);
    switch (event.type) {
      case 'published':
        if (!includeType) q.untyped().published += event.messages.length;
        else for (const msg of event.messages) q.messages(msg.type).published++;
        return;
      case 'delivered': {
        const { messages } = event;
        const n = messages.length;
        if (!includeType) q.untyped().delivered += n;
        else for (let i = 0; i < n; i++) q.messages(messages.typeAt(i) as string).delivered++;
        q.inFlight += n;
        return;
      }
      case 'succeeded': {
        const { messages, finishedAt } = event;
        const n = messages.length;
        // One duration observation per handler call: an event may gather one-message calls.
        const calls = event.calls;
        if (!includeType) {
          const s = q.untyped();
          s.succeeded += n;
          observeAges(s.age, messages, finishedAt);
          if (n > 0) s.durationSuccess.observe(event.durationMs / 1000, calls);
        } else {
          for (let i = 0; i < n; i++) {
            const s = q.messages(messages.typeAt(i) as string);
            s.succeeded++;
            s.age.observe(ageSeconds(finishedAt, messages.createdAtMs(i) as number));
            // Gathered one-message calls: message i is call i, observed under its own type.
            if (calls > 1) s.durationSuccess.observe(event.durationMs / 1000);
          }
          if (n > 0 && calls <= 1)
            q.messages(messages.typeAt(0) as string).durationSuccess.observe(
              event.durationMs / 1000,
            );
        }
        q.inFlight = q.inFlight > n ? q.inFlight - n : 0;
        return;
      }
      case 'failed': {
        const s = q.messages(typeOf(event.message));
        s.failed++;
        s.durationFailure.observe(event.durationMs / 1000);
        q.inFlight = Math.max(0, q.inFlight - 1);
        return;
      }
      case 'retried':
        q.messages(typeOf(event.message)).retried++;
        return;
      case 'deadLettered': {
        const dead = q.messages(typeOf(event.message)).deadLettered;
        dead.set(event.reason, (dead.get(event.reason) ?? 0) + 1);
        return;
      }
      case 'consumerStarted':
        q.runningConsumers++;
        return;
      case 'consumerStopped':
        q.runningConsumers = Math.max(0, q.runningConsumers - 1);
        // Released or abandoned messages emit no outcome: nothing is in flight once every consumer stopped.
        if (q.runningConsumers === 0) q.inFlight = 0;
        return;
      case 'circuitOpened':
        q.circuitOpen = 1;
        return;
      case 'circuitClosed':
        q.circuitOpen = 0;
        return;
      case 'backendError':
        q.backendErrors.set(event.operation, (q.backendErrors.get(event.operation) ?? 0) + 1);
        return;
      case 'heartbeatFailed':
        q.leaseRenewalFailures++;
        return;
      case 'leaseLost':
        q.leasesLost++;
        return;
      case 'rebalanced':
        q.rebalances++;
        q.ownedShards = event.owned.length;
        return;
      case 'shardLag':
        q.shardLag.set(event.shard, event.millisBehindLatest / 1000);
        return;
      case 'checkpointed':
        q.checkpoints.set(event.lease, Date.now());
        return;
      case 'leaseReleased':
        // A released shard has no checkpoint age or lag of ours any more.
        q.checkpoints.delete(event.lease);
        q.shardLag.delete(event.lease);
        return;
      default:
        return;
    }
  };
}

/**
 * Observes the age at `at` of every message of `messages`, once per run of equal `createdAt`:
 * messages published together share it (one clock reading per publish call), and one observation
 * counted `k` times is exactly `k` observations of the same age.
 */
function observeAges(age: Hist, messages: MessageInfoList, at: number): void {
  const n = messages.length;
  if (n === 0) return;
  let createdAt = messages.createdAtMs(0) as number;
  let times = 1;
  for (let i = 1; i < n; i++) {
    const next = messages.createdAtMs(i) as number;
    if (next === createdAt) times++;
    else {
      age.observe(ageSeconds(at, createdAt), times);
      createdAt = next;
      times = 1;
    }
  }
  age.observe(ageSeconds(at, createdAt), times);
}

/** Seconds from `createdAtMs` to `at`, never negative. */
function ageSeconds(at: number, createdAtMs: number): number {
  const ms = at - createdAtMs;
  return ms > 0 ? ms / 1000 : 0;
}

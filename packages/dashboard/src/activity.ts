import type { LifecycleEvent, LifecycleProvider } from '@mqkit/core';

/** Running totals of one queue, since the tracker was created. */
export interface ActivityTotals {
  /** Messages handled successfully. */
  readonly succeeded: number;
  /** Failed handler attempts (retried or dead-lettered). */
  readonly failed: number;
}

/** The last `MillisBehindLatest` a stream consumer of this process reported for one shard. */
export interface ShardLag {
  readonly millisBehindLatest: number;
  readonly at: Date;
}

/**
 * A lifecycle provider counting what this process's consumers handled, per queue: the
 * dashboard's throughput, failure rate and Kinesis lag come from it. Attach it to the queue
 * (`lifecycle`) and pass it to `createDashboard({ activity })`.
 */
export interface ActivityTracker extends LifecycleProvider {
  /** When counting started (every total was 0 then). */
  readonly startedAt: Date;
  /** Totals of `queue` so far (zeros when nothing was seen). */
  totals(queue: string): ActivityTotals;
  /** Last reported lag per shard of `queue` (empty unless a Kinesis consumer runs here). */
  shardLag(queue: string): ReadonlyMap<string, ShardLag>;
}

/**
 * Creates an {@link ActivityTracker}. Counting is a map update per event: no I/O, no timers,
 * no payloads kept.
 */
export function createActivityTracker(): ActivityTracker {
  const totals = new Map<string, { succeeded: number; failed: number }>();
  const lags = new Map<string, Map<string, ShardLag>>();
  const of = (queue: string) => {
    let t = totals.get(queue);
    if (t === undefined) {
      t = { succeeded: 0, failed: 0 };
      totals.set(queue, t);
    }
    return t;
  };
  return {
    name: 'mqkit-dashboard-activity',
    startedAt: new Date(),
    onEvent(event: LifecycleEvent): void {
      if (event.type === 'succeeded') of(event.queue).succeeded += event.messages.length;
      else if (event.type === 'failed') of(event.queue).failed += 1;
      else if (event.type === 'shardLag') {
        let shards = lags.get(event.queue);
        if (shards === undefined) {
          shards = new Map();
          lags.set(event.queue, shards);
        }
        shards.set(event.shard, { millisBehindLatest: event.millisBehindLatest, at: new Date() });
      }
    },
    totals: (queue) => ({ ...(totals.get(queue) ?? { succeeded: 0, failed: 0 }) }),
    shardLag: (queue) => lags.get(queue) ?? new Map(),
  };
}

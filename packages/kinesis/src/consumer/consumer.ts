import { randomUUID } from 'node:crypto';
import { type Consumer, LeaseLostError, ShutdownError, type StopOptions } from '@mqkit/core';
import { errorInfo, resolveStopTimeout } from '@mqkit/core/provider';
import { SHARD_END } from '../checkpoint/store.js';
import { Semaphore, sleepUnlessAborted } from './semaphore.js';
import { runShardLoop, type ShardLoop, type ShardLoopContext } from './shard-worker.js';
import { listShards, readyShards, type ShardInfo } from './shards.js';

/** A shard whose checkpoint could not be read is retried after this long. */
const UNREADABLE_RETRY_MS = 5_000;

/**
 * One `consume()` call: takes free or expired shard leases of the stream (children only once
 * their parents are finished), runs one loop per owned shard, renews the leases every
 * `heartbeatIntervalMs` (a rejected renewal, or renewals failing for a whole lease, aborts that
 * shard's handler with `LeaseLostError`), and on stop drains, checkpoints and releases.
 * Fair sharing between many instances is the rebalancer's job (next issue); here each instance
 * takes whatever is free.
 */
export function startKinesisConsumer(
  base: Omit<ShardLoopContext, 'consumerId' | 'slots' | 'stopping'>,
  onStopped: () => void,
): Consumer {
  const id = randomUUID();
  const { options, lifecycle, logger, queue, provider } = base;
  const loops = new Map<string, ShardLoop & { lastRenewed: number }>();
  const finished = new Set<string>();
  const blocked = new Map<string, number>();
  const stopController = new AbortController();
  let stopping = false;
  let running = true;
  let shards: ShardInfo[] | undefined;
  let shardsAt = 0;
  const ctx: ShardLoopContext = {
    ...base,
    consumerId: id,
    slots: new Semaphore(options.concurrency),
    stopping: () => stopping,
  };
  const leaseMs = options.visibilityTimeoutMs;
  const emit = lifecycle.active ? lifecycle.emit.bind(lifecycle) : () => {};

  async function scan(): Promise<void> {
    const now = Date.now();
    if (
      shards === undefined ||
      now - shardsAt > base.kinesisOptions.consumer.shardRefreshIntervalMs
    ) {
      await base.ready();
      shards = await listShards(base.client, base.streamName);
      shardsAt = now;
    }
    // A parent that is still listed counts as finished only once its checkpoint says SHARD_END.
    for (const shard of shards) {
      for (const parent of shard.parents) {
        if (finished.has(parent) || loops.has(parent)) continue;
        const stored = await base.checkpoints.read(parent);
        if (stored?.position === SHARD_END) finished.add(parent);
      }
    }
    for (const shard of readyShards(shards, finished)) {
      if (stopping) return;
      if (loops.has(shard.shardId)) continue;
      if ((blocked.get(shard.shardId) ?? 0) > Date.now()) continue;
      const lease = await base.leases.acquire(shard.shardId, id, leaseMs);
      if (lease === undefined) continue;
      if (stopping) {
        await base.leases.release(lease);
        return;
      }
      emit({ type: 'leaseAcquired', provider, queue, lease: shard.shardId, owner: id });
      const loop = runShardLoop(ctx, lease);
      loops.set(shard.shardId, { ...loop, lastRenewed: Date.now() });
      void loop.done.then((end) => {
        loops.delete(shard.shardId);
        if (end === 'shard-end') {
          finished.add(shard.shardId);
          shards = undefined; // children may be listed now
          wake();
        } else if (end === 'unreadable')
          blocked.set(shard.shardId, Date.now() + UNREADABLE_RETRY_MS);
        else if (end === 'lease-lost')
          emit({ type: 'leaseLost', provider, queue, lease: shard.shardId, owner: id });
      });
    }
  }

  async function renew(): Promise<void> {
    await Promise.all(
      [...loops.values()].map(async (loop) => {
        try {
          const rejection = await base.leases.renew(loop.lease, leaseMs);
          if (rejection === undefined) {
            loop.lastRenewed = Date.now();
            emit({ type: 'leaseRenewed', provider, queue, lease: loop.lease.shardId, owner: id });
            return;
          }
          loop.abort(
            new LeaseLostError(
              `lease of shard ${loop.lease.shardId} lost (${rejection}); its records may be delivered to another consumer`,
            ),
          );
        } catch (error) {
          emit({
            type: 'heartbeatFailed',
            provider,
            queue,
            consumerId: id,
            error: errorInfo(error),
          });
          // Renewals are retried at the next beat; past the lease's budget a peer may own it.
          if (Date.now() - loop.lastRenewed >= leaseMs)
            loop.abort(
              new LeaseLostError(
                `lease of shard ${loop.lease.shardId} could not be renewed for ${leaseMs} ms`,
              ),
            );
        }
      }),
    );
  }

  let wakeUp: (() => void) | undefined;
  const wake = () => wakeUp?.();

  async function main(): Promise<void> {
    emit({ type: 'consumerStarted', provider, queue, consumerId: id });
    let failures = 0;
    let lastRenew = Date.now();
    while (!stopping) {
      try {
        if (Date.now() - lastRenew >= options.heartbeatIntervalMs) {
          lastRenew = Date.now();
          await renew();
        }
        await scan();
        failures = 0;
      } catch (error) {
        failures++;
        emit({
          type: 'backendError',
          provider,
          queue,
          operation: 'scan shards',
          error: errorInfo(error),
        });
        logger.warn({ queue, err: errorInfo(error) }, 'shard scan failed; retrying');
      }
      const delay =
        failures > 0
          ? Math.min(options.circuitBreaker.resetTimeoutMs, 100 * 2 ** failures)
          : Math.min(options.heartbeatIntervalMs, 1_000);
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void sleepUnlessAborted(delay, stopController.signal).then(() => resolve());
      });
      wakeUp = undefined;
    }
  }

  const mainDone = main();
  let stopPromise: Promise<void> | undefined;
  let stoppedResolve: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stoppedResolve = resolve;
  });

  async function stop(stopOptions?: StopOptions): Promise<void> {
    if (stopPromise) return stopPromise;
    let timeoutMs: number;
    try {
      timeoutMs = resolveStopTimeout(stopOptions, provider);
    } catch (error) {
      return Promise.reject(error);
    }
    stopping = true;
    running = false;
    stopController.abort(new ShutdownError());
    stopPromise = (async () => {
      await mainDone;
      const all = () => Promise.all([...loops.values()].map((l) => l.done));
      // Keep leases alive while draining.
      const renewTimer = setInterval(() => void renew(), options.heartbeatIntervalMs);
      renewTimer.unref();
      const drained = await Promise.race([
        all().then(() => true),
        sleep(timeoutMs).then(() => false),
      ]);
      if (!drained) {
        for (const loop of loops.values()) loop.abort(new ShutdownError());
        await all();
      }
      clearInterval(renewTimer);
      emit({ type: 'consumerStopped', provider, queue, consumerId: id });
      onStopped();
      stoppedResolve();
    })();
    return stopPromise;
  }

  return {
    id,
    queue,
    get running() {
      return running;
    },
    stopped,
    stop,
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

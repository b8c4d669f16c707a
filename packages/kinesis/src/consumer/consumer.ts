import { randomUUID } from 'node:crypto';
import { type Consumer, LeaseLostError, ShutdownError, type StopOptions } from '@mqkit/core';
import {
  circuitState,
  errorInfo,
  type HealthProbe,
  isLive,
  resolveStopTimeout,
  sleep,
  TokenBucket,
} from '@mqkit/core/provider';
import { SHARD_END } from '../checkpoint/store.js';
import type { InstanceRegistry } from '../instances/registry.js';
import { orphanedShards, planRebalance, unownedShards } from '../rebalance/plan.js';
import { defaultWatchdogMs } from '../watchdog/watchdog.js';
import { createLeaseKeeper, type RunningLoop } from './lease-keeper.js';
import { Semaphore } from './semaphore.js';
import { runShardLoop, type ShardLoopContext } from './shard-worker.js';
import { listShards, readyShards, type ShardInfo } from './shards.js';

/** A shard whose checkpoint could not be read is retried after this long. */
const UNREADABLE_RETRY_MS = 5_000;

/** What a consumer needs beyond its shard loops: the instance registry and lease owners. */
export interface KinesisConsumerContext
  extends Omit<
    ShardLoopContext,
    'consumerId' | 'slots' | 'stopping' | 'onFetch' | 'rateLimit' | 'ownedShards'
  > {
  /** The registry of this queue's instances, for instance `id` with heartbeat cutoff `cutoffMs`. */
  registry(id: string, cutoffMs: number): InstanceRegistry;
  /** Live lease owners of the given shards. */
  owners(shardIds: readonly string[]): Promise<Map<string, string>>;
}

/** Heartbeat failures in a row before each further failure is reported as `heartbeatFailed`. */
const HEARTBEAT_FAILURE_THRESHOLD = 3;

/**
 * One `consume()` call, one instance of the queue's consumer group: heartbeats into the instance
 * registry, plans a fair share of the ready shards (children only once their parents are
 * finished) with {@link planRebalance} on start, on every registry change and every tick, hands
 * its excess off (finish the batch, checkpoint, release) and takes free or expired leases; runs
 * one loop per owned shard and renews the leases every `heartbeatIntervalMs`. It stops its own
 * loops before a peer may claim them when renewals or heartbeats fail, and gives up the lease of
 * a loop that makes no progress (watchdog). On stop it drains, checkpoints, releases and
 * deregisters at once.
 */
export function startKinesisConsumer(base: KinesisConsumerContext): {
  consumer: Consumer;
  probe: HealthProbe;
} {
  const id = randomUUID();
  const { options, lifecycle, logger, queue, provider } = base;
  type Running = RunningLoop;
  const loops = new Map<string, Running>();
  const finished = new Set<string>();
  const blocked = new Map<string, number>();
  const stopController = new AbortController();
  let stopping = false;
  let running = true;
  let shards: ShardInfo[] | undefined;
  let shardsAt = 0;
  // For health(): when the loop last asked the stream for work, and whether it is stuck or failing.
  let lastClaimAt: number | undefined;
  let scanStartedAt: number | undefined;
  let failures = 0;
  const ctx: ShardLoopContext = {
    ...base,
    consumerId: id,
    slots: new Semaphore(options.concurrency),
    stopping: () => stopping,
    onFetch: () => {
      lastClaimAt = Date.now();
    },
    ownedShards: () => loops.size,
    rateLimit:
      options.rateLimit === undefined
        ? undefined
        : new TokenBucket(options.rateLimit.perSecond, options.rateLimit.burst, Date.now()),
  };
  const leaseMs = options.visibilityTimeoutMs;
  const { consumer: tuning } = base.kinesisOptions;
  const cutoffMs = tuning.instanceTimeoutMs ?? leaseMs;
  const watchdogMs = tuning.watchdogMs ?? defaultWatchdogMs(options.handlerTimeoutMs, leaseMs);
  const registry = base.registry(id, cutoffMs);
  let instances: readonly string[] = [];
  let heartbeatOkAt = Date.now();
  let heartbeatFailures = 0;
  let dataLost = false;
  const freeSince = new Map<string, number>();
  const emit = lifecycle.active ? lifecycle.emit.bind(lifecycle) : () => {};
  const { giveUp, handOff, guard, renew } = createLeaseKeeper({
    provider,
    queue,
    consumerId: id,
    leaseMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    cutoffMs,
    watchdogMs,
    leases: base.leases,
    logger,
    emit,
    loops,
    blocked,
    heartbeatOkAt: () => heartbeatOkAt,
    stopping: () => stopping,
  });

  /** Returns false when the heartbeat failed (then there is no view to plan with). */
  async function heartbeat(): Promise<boolean> {
    const sentAt = Date.now();
    try {
      const view = await registry.heartbeat();
      heartbeatOkAt = sentAt;
      heartbeatFailures = 0;
      if (view.dataLost && !dataLost) reportDataLost();
      instances = view.instances;
      return true;
    } catch (error) {
      heartbeatFailures++;
      if (heartbeatFailures >= HEARTBEAT_FAILURE_THRESHOLD)
        emit({ type: 'heartbeatFailed', provider, queue, consumerId: id, error: errorInfo(error) });
      logger.warn({ queue, err: errorInfo(error) }, 'instance heartbeat failed; retrying');
      return false;
    }
  }

  /** Redis came back empty: report it once, stop every loop, take no shard from now on. */
  function reportDataLost(): void {
    if (dataLost) return;
    dataLost = true;
    const error = new Error(
      'Redis lost its data (its epoch marker changed): leases and checkpoints are gone, so this consumer takes no shard rather than restart them from the start position; restore Redis (persistence) or reset the checkpoints with the operator tools, then restart the consumer',
    );
    emit({
      type: 'backendError',
      provider,
      queue,
      operation: 'redis data lost',
      error: errorInfo(error),
    });
    logger.error({ queue, err: errorInfo(error) }, 'Redis came back empty');
    for (const loop of [...loops.values()])
      giveUp(loop, new LeaseLostError('Redis lost its data: the lease is gone'));
  }

  /** Takes `shardId` if its lease is free or expired and starts its loop. */
  async function take(shardId: string): Promise<void> {
    const lease = await base.leases.acquire(shardId, id, leaseMs);
    if (lease === undefined) return;
    if (stopping) {
      await base.leases.release(lease);
      return;
    }
    // The acquire may have been sent before a Redis restart and run after it, on an empty Redis.
    if (!(await registry.sameData())) {
      reportDataLost();
      await base.leases.release(lease).catch(() => {});
      return;
    }
    emit({ type: 'leaseAcquired', provider, queue, lease: shardId, owner: id });
    const now = Date.now();
    const loop: Running = {
      ...runShardLoop(ctx, lease),
      renewSentAt: now,
      acquiredAt: now,
      lostReported: false,
    };
    loops.set(shardId, loop);
    void loop.done.then((end) => {
      // A loop dropped by the watchdog may end after its shard was taken again.
      if (loops.get(shardId) === loop) loops.delete(shardId);
      if (end === 'shard-end') {
        finished.add(shardId);
        shards = undefined; // children may be listed now
        wake();
      } else if (end === 'unreadable') blocked.set(shardId, Date.now() + UNREADABLE_RETRY_MS);
      else if (end === 'lease-lost' && !loop.lostReported) {
        loop.lostReported = true;
        emit({ type: 'leaseLost', provider, queue, lease: shardId, owner: id });
      } else wake(); // handed off: plan again at once
    });
  }

  async function scan(): Promise<void> {
    const now = Date.now();
    lastClaimAt = now;
    if (shards === undefined || now - shardsAt > tuning.shardRefreshIntervalMs) {
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
    if (dataLost || stopping) return;
    const ready = readyShards(shards, finished).map((s) => s.shardId);
    const owners = await base.owners(ready);
    // Our own running loops count as ours even if Redis's view lags.
    for (const shardId of loops.keys()) owners.set(shardId, id);
    const plan = planRebalance({
      self: id,
      shards,
      finished,
      instances,
      owners,
      heldSince: new Map([...loops].map(([shardId, loop]) => [shardId, loop.acquiredAt])),
      now: Date.now(),
      minHoldMs: tuning.rebalanceDampingMs,
    });
    for (const shardId of plan.release) handOff(shardId);
    // Below the ceiling share, also take shards left free past a grace period.
    const ceiling = Math.ceil(ready.length / Math.max(1, instances.length));
    const orphans = orphanedShards(
      unownedShards(shards, finished, owners),
      freeSince,
      Date.now(),
      Math.max(2_000, tuning.rebalanceDampingMs),
    ).slice(0, Math.max(0, ceiling - loops.size - plan.acquire.length));
    const acquired: string[] = [];
    const wanted = [...plan.acquire, ...orphans].filter(
      (shardId) => !loops.has(shardId) && (blocked.get(shardId) ?? 0) <= Date.now(),
    );
    // Taken at once, not one after another: each take is two Redis round trips, and every shard's
    // first GetRecords waits for its lease.
    const taken = await Promise.allSettled(
      wanted.map(async (shardId) => {
        if (stopping) return;
        await take(shardId);
        if (loops.has(shardId)) acquired.push(shardId);
      }),
    );
    if (acquired.length > 0 || plan.release.length > 0) {
      const owned = [...loops.keys()].filter((shardId) => !plan.release.includes(shardId));
      emit({ type: 'rebalanced', provider, queue, owner: id, owned });
    }
    const failed = taken.find((t) => t.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  let wakeUp: (() => void) | undefined;
  const wake = () => wakeUp?.();

  async function main(): Promise<void> {
    emit({ type: 'consumerStarted', provider, queue, consumerId: id });
    let lastRenew = Date.now();
    while (!stopping) {
      scanStartedAt = Date.now();
      try {
        // Registry first: on start and on every change the plan below sees the new live set.
        const beat = await heartbeat();
        guard();
        if (Date.now() - lastRenew >= options.heartbeatIntervalMs) {
          lastRenew = Date.now();
          await renew();
          guard();
        }
        // No plan without a fresh view of the registry (and of a Redis that may have lost its data).
        if (beat) await scan();
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
      scanStartedAt = undefined;
      const delay =
        failures > 0
          ? Math.min(options.circuitBreaker.resetTimeoutMs, 100 * 2 ** failures)
          : Math.min(options.heartbeatIntervalMs, 1_000);
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void sleep(delay, stopController.signal, { unref: true }).then(() => resolve());
      });
      wakeUp = undefined;
    }
  }

  // guard() also runs on its own timer: the main loop can hang in a Redis call (a paused or
  // unreachable Redis), and the loops must still stop before a peer may claim their shards.
  const guardTimer = setInterval(guard, Math.max(50, Math.min(250, options.heartbeatIntervalMs)));
  guardTimer.unref();
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
      // Peers recompute their share now instead of after the heartbeat cutoff.
      await registry.deregister().catch((error: unknown) => {
        logger.warn({ queue, err: errorInfo(error) }, 'instance deregistration failed');
      });
      const all = () => Promise.all([...loops.values()].map((l) => l.done));
      // Keep leases alive while draining.
      const renewTimer = setInterval(() => void renew(), options.heartbeatIntervalMs);
      renewTimer.unref();
      const drained = await Promise.race([
        all().then(() => true),
        sleep(timeoutMs, undefined, { unref: true }).then(() => false),
      ]);
      if (!drained) {
        for (const loop of loops.values()) loop.abort(new ShutdownError());
        await all();
      }
      clearInterval(renewTimer);
      clearInterval(guardTimer);
      emit({ type: 'consumerStopped', provider, queue, consumerId: id });
      stoppedResolve();
    })();
    return stopPromise;
  }

  const consumer: Consumer = {
    id,
    queue,
    get running() {
      return running;
    },
    stopped,
    stop,
  };
  const probe: HealthProbe = {
    health: (_consumer, now) => ({
      id,
      queue,
      running,
      lastClaimAt: lastClaimAt === undefined ? undefined : new Date(lastClaimAt),
      circuit: circuitState(failures, options.circuitBreaker.failureThreshold),
      live: isLive(scanStartedAt, now, options.visibilityTimeoutMs),
    }),
  };
  return { consumer, probe };
}

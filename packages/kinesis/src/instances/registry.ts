import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../names.js';
import { runScript } from '../redis/scripts.js';
import { heartbeatScript } from './scripts/index.js';

/** What one heartbeat learned. */
export interface RegistryView {
  /** Redis's clock at the heartbeat (ms since the epoch). */
  readonly now: number;
  /** Live instances (heartbeat within the cutoff), sorted by id; this one included. */
  readonly instances: readonly string[];
  /**
   * True when the Redis data set is not the one this instance first saw (a Redis that came back
   * empty): leases, checkpoints and dead letters written before are gone.
   */
  readonly dataLost: boolean;
}

/** The consumer instances of one queue, as heartbeats in Redis. */
export interface InstanceRegistry {
  /** Records this instance as alive and returns the live set. Rejects when Redis fails. */
  heartbeat(): Promise<RegistryView>;
  /** Removes this instance at once (clean shutdown), so peers recompute their share now. */
  deregister(): Promise<void>;
  /** False when the epoch marker differs from the first one seen (Redis lost its data). */
  sameData(): Promise<boolean>;
}

/**
 * The Redis {@link InstanceRegistry}: a sorted set scored by Redis's clock (heartbeat.lua), with
 * an epoch marker that reveals a Redis that lost its data. An instance is dead once its last
 * heartbeat is older than `cutoffMs`.
 */
export function createInstanceRegistry(
  redis: Redis,
  keys: QueueKeys,
  instanceId: string,
  cutoffMs: number,
): InstanceRegistry {
  let epoch: string | undefined;
  return {
    async heartbeat() {
      const reply = (await runScript(
        redis,
        heartbeatScript,
        [keys.instances, keys.epoch],
        [instanceId, cutoffMs, randomUUID()],
      )) as string[];
      const [nowText, seen, ...instances] = reply;
      const dataLost = epoch !== undefined && seen !== epoch;
      epoch ??= seen;
      return { now: Number(nowText), instances, dataLost };
    },
    async deregister() {
      await redis.zrem(keys.instances, instanceId);
    },
    async sameData() {
      if (epoch === undefined) return true;
      return (await redis.get(keys.epoch)) === epoch;
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../names.js';
import { runScript } from '../redis/scripts.js';
import { acquireScript, releaseScript, renewScript } from './scripts/index.js';

/** A shard lease held by one consumer: its token and fencing counter go with every write. */
export interface Lease {
  readonly shardId: string;
  readonly owner: string;
  readonly token: string;
  /** Fencing counter: grows with every acquire of this shard's lease. */
  readonly fence: number;
  /** When the lease runs out, on Redis's clock (ms since the epoch). */
  expiresAt: number;
}

/** Why a renew or fenced write was refused. */
export type LeaseRejection = 'not-owner' | 'expired';

/** Shard leases of one queue in Redis; every operation is one atomic Lua script. */
export interface LeaseStore {
  /** Takes the lease when free or expired; `undefined` when a live lease is held. */
  acquire(shardId: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a held lease; resolves to the rejection when the lease is no longer ours. */
  renew(lease: Lease, ttlMs: number): Promise<LeaseRejection | undefined>;
  /** Frees a held lease; false when it was no longer ours. */
  release(lease: Lease): Promise<boolean>;
}

/** The Redis {@link LeaseStore} over `keys` (scripts in ./scripts, reloaded on NOSCRIPT). */
export function createRedisLeaseStore(redis: Redis, keys: QueueKeys): LeaseStore {
  return {
    async acquire(shardId, owner, ttlMs) {
      const token = randomUUID();
      const reply = (await runScript(
        redis,
        acquireScript,
        [keys.lease(shardId)],
        [owner, token, ttlMs],
      )) as [number, number | string, string];
      if (reply[0] !== 1) return undefined;
      return { shardId, owner, token, fence: Number(reply[1]), expiresAt: Number(reply[2]) };
    },
    async renew(lease, ttlMs) {
      const reply = (await runScript(
        redis,
        renewScript,
        [keys.lease(lease.shardId)],
        [lease.token, lease.fence, ttlMs],
      )) as [number, string];
      if (reply[0] === 1) {
        lease.expiresAt = Number(reply[1]);
        return undefined;
      }
      return reply[1] as LeaseRejection;
    },
    async release(lease) {
      const reply = await runScript(
        redis,
        releaseScript,
        [keys.lease(lease.shardId)],
        [lease.token, lease.fence],
      );
      return reply === 1;
    },
  };
}

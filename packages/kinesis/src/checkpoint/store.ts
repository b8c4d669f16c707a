import type { Redis } from 'ioredis';
import type { Lease, LeaseRejection } from '../lease/leases.js';
import { attemptScript, checkpointScript } from '../lease/scripts/index.js';
import type { QueueKeys } from '../names.js';
import { runScript } from '../redis/scripts.js';

/** The position stored when a shard was read to its end: its children may start. */
export const SHARD_END = 'SHARD_END';

/** What is stored for one shard. */
export interface Checkpoint {
  /** Last handled sequence number, {@link SHARD_END}, or `undefined` when only a crash counter exists. */
  readonly position: string | undefined;
  /** Crash counter: the record heading the last unfinished delivery and how often it was tried. */
  readonly pending?: {
    readonly sequenceNumber: string;
    readonly attempts: number;
    readonly count: number;
  };
}

/** Why a checkpoint write was refused. */
export type CheckpointRejection = LeaseRejection | 'shard-end' | 'not-forward';

/**
 * Where shard positions live. Writes are fenced by the lease: a store must refuse a write whose
 * lease is no longer current, a position before the stored one, and anything after
 * {@link SHARD_END}. `read` resolving `undefined` means "no checkpoint yet"; a store that cannot
 * be read must reject instead (the consumer then stops the shard rather than restart it).
 */
export interface CheckpointStore {
  /** The stored checkpoint of `shardId`, `undefined` when there is none. Rejects when unreadable. */
  read(shardId: string): Promise<Checkpoint | undefined>;
  /** Moves the checkpoint forward to `position`; resolves to the rejection when refused. */
  write(lease: Lease, position: string): Promise<CheckpointRejection | undefined>;
  /**
   * Counts (`delta` 1) or gives back (`delta` -1) a delivery of the `count` records starting at
   * `sequenceNumber`; resolves to the attempts now counted, or the lease rejection.
   */
  countAttempt(
    lease: Lease,
    sequenceNumber: string,
    count: number,
    delta: 1 | -1,
  ): Promise<number | LeaseRejection>;
}

/** The default {@link CheckpointStore}: hashes in the same Redis as the leases, written by Lua. */
export function createRedisCheckpointStore(redis: Redis, keys: QueueKeys): CheckpointStore {
  return {
    async read(shardId) {
      const stored = await redis.hgetall(keys.checkpoint(shardId));
      const position = stored.position;
      if (position === undefined && stored.pendingSeq === undefined) return undefined;
      const pending =
        stored.pendingSeq === undefined
          ? undefined
          : {
              sequenceNumber: stored.pendingSeq,
              attempts: Number(stored.pendingAttempts ?? 0),
              count: Number(stored.pendingCount ?? 1),
            };
      return { position, ...(pending ? { pending } : {}) };
    },
    async write(lease, position) {
      const reply = (await runScript(
        redis,
        checkpointScript,
        [keys.lease(lease.shardId), keys.checkpoint(lease.shardId)],
        [lease.token, lease.fence, position],
      )) as [number, string];
      return reply[0] === 1 ? undefined : (reply[1] as CheckpointRejection);
    },
    async countAttempt(lease, sequenceNumber, count, delta) {
      const reply = (await runScript(
        redis,
        attemptScript,
        [keys.lease(lease.shardId), keys.checkpoint(lease.shardId)],
        [lease.token, lease.fence, sequenceNumber, count, delta],
      )) as [number, number | string];
      return reply[0] === 1 ? Number(reply[1]) : (reply[1] as LeaseRejection);
    },
  };
}

import { readFileSync } from 'node:fs';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NotFoundError } from '@mqkit/core';
import { queueKeys, streamNameOf } from '@mqkit/kinesis';
import type { Redis } from 'ioredis';
import { RefusedError } from '../../exit.js';

const script = (name: string): string =>
  readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
const FORCE_RELEASE = script('force-release.lua');
const SET_CHECKPOINT = script('set-checkpoint.lua');

/** Where one queue's stream and its lease/checkpoint keys are (as the app configured them). */
export interface KinesisTarget {
  readonly kinesis: KinesisClient;
  readonly redis: Redis;
  /** The queue as the application names it. */
  readonly queue: string;
  readonly namespace?: string;
  /** @mqkit/kinesis `keyPrefix`. Default `mqkit`. */
  readonly keyPrefix?: string;
  /** The stream, when the app mapped the queue explicitly (`streams` option). */
  readonly stream?: string;
}

/** One shard as an operator sees it: lineage, lease, checkpoint. */
export interface ShardView {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  readonly adjacentParentShardId: string | undefined;
  /** False once the shard was closed by a split or merge (it has an ending sequence number). */
  readonly open: boolean;
  /** The lease holder ('' or undefined when free). */
  readonly owner: string | undefined;
  /** The lease's fencing counter (grows with every acquire). */
  readonly fence: number | undefined;
  readonly leaseExpiresAt: Date | undefined;
  /** True while the lease is held and unexpired on Redis's clock. */
  readonly leaseLive: boolean;
  /** Sequence number checkpointed, `SHARD_END`, or undefined (never checkpointed). */
  readonly checkpoint: string | undefined;
  readonly checkpointUpdatedAt: Date | undefined;
  /** How long ago the checkpoint last moved, in ms (Redis clock). Not lag: an idle shard's checkpoint ages too. */
  readonly checkpointAgeMs: number | undefined;
  /**
   * How far the consumer is behind, in ms: the age of the first record after the checkpoint (0
   * when there is none, i.e. caught up; the service's `MillisBehindLatest` when a read at the
   * checkpoint comes back empty). 0 at `SHARD_END`; `undefined` when the shard was never
   * checkpointed or the read failed (see `lagError`).
   */
  readonly lagMs: number | undefined;
  /** Why `lagMs` could not be measured (never checkpointed, throttled, …); `undefined` when it was. */
  readonly lagError: string | undefined;
}

const streamOf = (t: KinesisTarget): string =>
  t.stream ?? streamNameOf(t.queue, t.namespace, {}, 'cli');
const keysOf = (t: KinesisTarget) => queueKeys(t.keyPrefix ?? 'mqkit', t.namespace, t.queue);

async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

async function listAllShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis
      .send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }))
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'ResourceNotFoundException')
          throw new NotFoundError('stream', stream, `unknown stream "${stream}"`);
        throw error;
      });
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}

const num = (v: string | undefined): number | undefined =>
  v === undefined || v === '' ? undefined : Number(v);

/**
 * Consumer lag of one shard at `checkpoint`: one GetShardIterator (AFTER_SEQUENCE_NUMBER) and one
 * GetRecords (Limit 1). Kinesis cannot count the records between two sequence numbers without
 * reading them all, so lag is time, like the service's IteratorAgeMilliseconds: how long the
 * oldest record the consumer has not handled yet has waited. The read counts against the shard's
 * 5 GetRecords/s, once per command; a failure is reported in `lagError`, never thrown.
 */
async function shardLag(
  kinesis: KinesisClient,
  stream: string,
  shardId: string,
  checkpoint: string | undefined,
): Promise<{ lagMs: number | undefined; lagError: string | undefined }> {
  if (checkpoint === 'SHARD_END') return { lagMs: 0, lagError: undefined };
  if (checkpoint === undefined)
    return { lagMs: undefined, lagError: 'never checkpointed (lag depends on the start position)' };
  try {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: checkpoint,
      }),
    );
    if (ShardIterator === undefined) return { lagMs: 0, lagError: undefined };
    const page = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: ShardIterator, Limit: 1 }),
    );
    const arrived = page.Records?.[0]?.ApproximateArrivalTimestamp;
    if (arrived !== undefined)
      return { lagMs: Math.max(0, Date.now() - arrived.getTime()), lagError: undefined };
    return { lagMs: page.MillisBehindLatest ?? 0, lagError: undefined };
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    return { lagMs: undefined, lagError: `${name}: ${(error as Error).message ?? ''}`.trim() };
  }
}

/** Every shard of the queue's stream with its lease, checkpoint and lag, in ListShards order. */
export async function shardOverview(target: KinesisTarget): Promise<ShardView[]> {
  const stream = streamOf(target);
  const shards = await listAllShards(target.kinesis, stream);
  const keys = keysOf(target);
  const now = await redisNow(target.redis);
  return Promise.all(
    shards.map(async (shard) => {
      const id = shard.ShardId as string;
      const [lease, checkpoint] = await Promise.all([
        target.redis.hgetall(keys.lease(id)),
        target.redis.hgetall(keys.checkpoint(id)),
      ]);
      const expiresAt = num(lease.expiresAt);
      const updatedAt = num(checkpoint.updatedAt);
      const owner = lease.owner || undefined;
      const lag = await shardLag(target.kinesis, stream, id, checkpoint.position);
      return {
        shardId: id,
        parentShardId: shard.ParentShardId,
        adjacentParentShardId: shard.AdjacentParentShardId,
        open: shard.SequenceNumberRange?.EndingSequenceNumber === undefined,
        owner,
        fence: num(lease.fence),
        leaseExpiresAt: expiresAt ? new Date(expiresAt) : undefined,
        leaseLive: owner !== undefined && expiresAt !== undefined && expiresAt > now,
        checkpoint: checkpoint.position,
        checkpointUpdatedAt: updatedAt === undefined ? undefined : new Date(updatedAt),
        checkpointAgeMs: updatedAt === undefined ? undefined : Math.max(0, now - updatedAt),
        lagMs: lag.lagMs,
        lagError: lag.lagError,
      };
    }),
  );
}

/**
 * Frees a shard's lease whoever holds it (keeping the fence, so the old holder's next write is
 * refused); resolves to the previous owner. Throws {@link NotFoundError} for an unknown shard.
 */
export async function releaseLease(target: KinesisTarget, shardId: string): Promise<string> {
  const reply = (await target.redis.eval(FORCE_RELEASE, 1, keysOf(target).lease(shardId))) as [
    number,
    string,
  ];
  if (reply[0] !== 1) {
    throw new NotFoundError(
      'shard',
      shardId,
      `shard "${shardId}" of "${target.queue}" has no lease`,
    );
  }
  return reply[1];
}

/**
 * Sets a shard's checkpoint to `position` (a sequence number or `SHARD_END`), backwards too.
 * Refuses ({@link RefusedError}) while a live consumer holds the lease, unless `force`; resolves
 * to the previous position ('' when none).
 */
export async function setCheckpoint(
  target: KinesisTarget,
  shardId: string,
  position: string,
  force: boolean,
): Promise<string> {
  const shards = await listAllShards(target.kinesis, streamOf(target));
  if (!shards.some((s) => s.ShardId === shardId)) {
    throw new NotFoundError(
      'shard',
      shardId,
      `no shard "${shardId}" in stream "${streamOf(target)}"`,
    );
  }
  const keys = keysOf(target);
  const reply = (await target.redis.eval(
    SET_CHECKPOINT,
    2,
    keys.lease(shardId),
    keys.checkpoint(shardId),
    position,
    force ? '1' : '0',
  )) as [number, string];
  if (reply[0] !== 1) {
    throw new RefusedError(
      `shard "${shardId}" is leased by live consumer "${reply[1]}": stop it or release the lease first, or pass --force`,
    );
  }
  return reply[1];
}

/** One consumer instance in a queue's registry. */
export interface InstanceView {
  readonly id: string;
  readonly lastHeartbeat: Date;
  /** How long ago it last heartbeated, in ms (Redis clock). */
  readonly heartbeatAgeMs: number;
  /** Shards whose live lease it holds. */
  readonly shards: readonly string[];
}

/**
 * The queue's consumer instances as their heartbeats in Redis record them, most recent first,
 * with the shards each holds a live lease on. An instance the consumers consider dead (last
 * heartbeat older than their `instanceTimeoutMs`) stays listed until a peer's heartbeat prunes it.
 */
export async function instanceOverview(target: KinesisTarget): Promise<InstanceView[]> {
  const [raw, shards] = await Promise.all([
    target.redis.zrange(keysOf(target).instances, '0', '-1', 'WITHSCORES'),
    shardOverview(target),
  ]);
  const now = await redisNow(target.redis);
  const out: InstanceView[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const id = raw[i] as string;
    const at = Number(raw[i + 1]);
    out.push({
      id,
      lastHeartbeat: new Date(at),
      heartbeatAgeMs: Math.max(0, now - at),
      shards: shards.filter((s) => s.leaseLive && s.owner === id).map((s) => s.shardId),
    });
  }
  return out.sort((a, b) => a.heartbeatAgeMs - b.heartbeatAgeMs);
}

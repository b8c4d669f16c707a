import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import { jsonSerializer, type Message, type Serializer } from '@mqkit/core';
import { decodeEnvelopeLenient, toBackendError } from '@mqkit/core/provider';
import { type CheckpointStore, SHARD_END } from '../checkpoint/store.js';
import { getRecords, openIterator } from '../consumer/shard-reader.js';
import { listShards } from '../consumer/shards.js';
import { bodyOf, decodeEnvelope } from '../envelope.js';
import { awsErrorName, isThrottling } from '../errors.js';
import type { StartPosition } from '../options.js';

/** How many shards are read at once (each costs one GetShardIterator and one GetRecords). */
const SHARD_READS_IN_PARALLEL = 8;

/** What {@link peekStream} needs: the stream, the consumer's checkpoint store and start position. */
export interface PeekContext {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** The store the queue's consumers read (Redis by default, or `checkpointStore`). */
  readonly checkpoints: CheckpointStore;
  /** The consumer's `startPosition`, used for a shard without checkpoint. */
  readonly startPosition: StartPosition;
  readonly serializer: Serializer;
  readonly defaultMaxAttempts: number;
}

/** One record waiting on a shard, before decoding. */
export interface PendingRecord {
  readonly shardId: string;
  readonly record: _Record;
}

/**
 * `peek()` for a Kinesis queue: the records its consumers would be handed next. For every listed
 * shard whose checkpoint is not `SHARD_END` (open shards, and closed parents not yet finished),
 * reads up to `limit` records after the checkpoint, or from `startPosition` when the shard has
 * none (`LATEST` without checkpoint: nothing is waiting, and the shard is not read). One
 * GetShardIterator and one GetRecords per shard, both counting against the shard's read limits
 * (5 GetRecords/s shared with the consumers). Nothing is claimed, leased or checkpointed.
 * Resolves to at most `limit` messages ordered by {@link orderPending}; rejects with
 * `BackendError` when Kinesis or the checkpoint store fails.
 */
export async function peekStream(
  ctx: PeekContext,
  queue: string,
  limit: number,
): Promise<Message[]> {
  const shards = await kinesisCall(ctx, 'ListShards', () => listShards(ctx.client, ctx.streamName));
  let pending: PendingRecord[] = [];
  for (let i = 0; i < shards.length; i += SHARD_READS_IN_PARALLEL) {
    const group = shards.slice(i, i + SHARD_READS_IN_PARALLEL);
    const read = await Promise.all(group.map((s) => peekShard(ctx, s.shardId, limit)));
    // Keep only the best `limit` between groups: memory stays bounded on a stream of many shards.
    pending = orderPending([...pending, ...read.flat()]).slice(0, limit);
  }
  return pending.map((p) => toMessage(p, queue, ctx));
}

/** The next records of one shard after its checkpoint (or start position), up to `limit`. */
async function peekShard(
  ctx: PeekContext,
  shardId: string,
  limit: number,
): Promise<PendingRecord[]> {
  let stored: Awaited<ReturnType<CheckpointStore['read']>>;
  try {
    stored = await ctx.checkpoints.read(shardId);
  } catch (error) {
    throw toBackendError('kinesis', `peek (read checkpoint of ${shardId})`, error);
  }
  if (stored?.position === SHARD_END) return [];
  const after = stored?.position;
  if (after === undefined && ctx.startPosition === 'LATEST') return [];
  const iterator = await kinesisCall(ctx, 'GetShardIterator', () =>
    openIterator(ctx.client, ctx.streamName, shardId, after, ctx.startPosition),
  );
  if (iterator === undefined) return [];
  const response = await kinesisCall(ctx, 'GetRecords', () =>
    getRecords(ctx.client, iterator, limit),
  );
  return (response.Records ?? []).map((record) => ({ shardId, record }));
}

/**
 * Orders waiting records by approximate arrival time, ties by shard id, then by sequence number
 * (numerically: sequence numbers are decimal strings of varying length). Pure; returns a new array.
 */
export function orderPending(pending: readonly PendingRecord[]): PendingRecord[] {
  const arrival = (p: PendingRecord) => p.record.ApproximateArrivalTimestamp?.getTime() ?? 0;
  const sequence = (p: PendingRecord) => p.record.SequenceNumber ?? '';
  return [...pending].sort((a, b) => {
    const byTime = arrival(a) - arrival(b);
    if (byTime !== 0) return byTime;
    if (a.shardId !== b.shardId) return a.shardId < b.shardId ? -1 : 1;
    const sa = sequence(a);
    const sb = sequence(b);
    if (sa.length !== sb.length) return sa.length - sb.length;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/**
 * The message a consumer would be handed for `p` (attempt 1, `meta` with shard and sequence). A
 * payload the serializer cannot read is shown as its stored text (`meta.rawPayload`); a record
 * that is no mqkit envelope at all is shown as the dead letter it will become: type `mqkit.poison`,
 * id `shardId:sequenceNumber`, its data as base64 (`meta.poison`).
 */
function toMessage(p: PendingRecord, queue: string, ctx: PeekContext): Message {
  const data = p.record.Data ?? new Uint8Array();
  const sequenceNumber = p.record.SequenceNumber ?? '';
  const recordPartitionKey = p.record.PartitionKey ?? '';
  const arrivedAt = p.record.ApproximateArrivalTimestamp ?? new Date(0);
  const meta = { shardId: p.shardId, sequenceNumber, recordPartitionKey };
  const envelope = decodeEnvelope(data);
  if (envelope === undefined) {
    return {
      id: `${p.shardId}:${sequenceNumber}`,
      queue,
      type: 'mqkit.poison',
      payload: Buffer.from(data).toString('base64'),
      attempt: 1,
      maxAttempts: ctx.defaultMaxAttempts,
      createdAt: arrivedAt,
      runAt: arrivedAt,
      partitionKey: undefined,
      priority: 0,
      headers: {},
      meta: { ...meta, rawPayload: true, poison: true },
    };
  }
  const createdAt = new Date(envelope.createdAt);
  return decodeEnvelopeLenient(
    {
      id: envelope.id,
      type: envelope.type,
      body: bodyOf(envelope),
      attempt: 1,
      maxAttempts: envelope.maxAttempts ?? ctx.defaultMaxAttempts,
      createdAt,
      runAt: createdAt,
      partitionKey: envelope.partitionKey,
      priority: 0,
      headers: envelope.headers ?? {},
      meta,
    },
    queue,
    // A v2 record's payload is JSON, whatever the queue's serializer.
    envelope.v === 2 ? jsonSerializer : ctx.serializer,
  );
}

/** Runs one Kinesis call; its error leaves as `BackendError` with advice for the usual causes. */
async function kinesisCall<T>(
  ctx: PeekContext,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toBackendError('kinesis', `peek (${operation})`, error, (e) =>
      isThrottling(e)
        ? 'the shard is over its read limits (5 GetRecords/s, shared with the consumers); retry in a second'
        : awsErrorName(e) === 'ResourceNotFoundException'
          ? `stream "${ctx.streamName}" does not exist; check the queue name, the namespace and the "streams" option`
          : undefined,
    );
  }
}

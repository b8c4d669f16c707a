import type { _Record } from '@aws-sdk/client-kinesis';
import type { ErrorInfo, Message, Serializer } from '@mqkit/core';
import { poisonError } from '@mqkit/core/provider';
import { type DecodedEnvelope, decodeEnvelope } from '../envelope.js';

/**
 * One record read from a shard, decoded (or marked poison) once. The handler's message is built
 * from it at each delivery ({@link messageOf}), not here: a record delivered once (the usual case)
 * then costs one message object, not two.
 */
export interface ShardRecord {
  /** Position in the GetRecords response it came in. */
  readonly index: number;
  readonly sequenceNumber: string;
  /** The record's Kinesis partition key. */
  readonly recordPartitionKey: string;
  readonly arrivedAt: number;
  readonly data: Uint8Array;
  /** The decoded envelope, also when its payload could not be deserialised; absent for data that is no envelope. */
  readonly envelope: DecodedEnvelope | undefined;
  /** The deserialised payload; `undefined` for a poison record. */
  readonly payload: unknown;
  /** Why the record cannot be read (not an mqkit envelope, or the serializer rejected it). */
  readonly poison: ErrorInfo | undefined;
}

const NOT_AN_ENVELOPE: ErrorInfo = Object.freeze({
  name: 'PoisonRecord',
  message: 'record data is not an mqkit message envelope',
});
const NO_DATA = new Uint8Array();

/**
 * Decodes records of one GetRecords call, those at `indexes` (every one when absent), in that
 * order; never throws (unreadable records become poison). One `JSON.parse` per record for the v2
 * layout (payload inline), two for v1 (the envelope, then the payload through the serializer).
 * The shard loop decodes each batch just before delivering it, so that only the batches in flight
 * are held decoded, not the whole response.
 */
export function decodeRecords(
  records: readonly _Record[],
  serializer: Serializer,
  indexes?: readonly number[],
): ShardRecord[] {
  const count = indexes === undefined ? records.length : indexes.length;
  const out = new Array<ShardRecord>(count);
  for (let k = 0; k < count; k++) {
    const i = indexes === undefined ? k : (indexes[k] as number);
    const r = records[i] as _Record;
    const data = r.Data ?? NO_DATA;
    const envelope = decodeEnvelope(data);
    let payload: unknown;
    let poison: ErrorInfo | undefined;
    if (envelope === undefined) poison = NOT_AN_ENVELOPE;
    else if (envelope.v === 2) payload = envelope.payload;
    else {
      try {
        payload = serializer.deserialize(envelope.body as string);
      } catch (error) {
        poison = poisonError(error, serializer);
      }
    }
    out[k] = {
      index: i,
      sequenceNumber: r.SequenceNumber ?? '',
      recordPartitionKey: r.PartitionKey ?? '',
      arrivedAt: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      data,
      envelope,
      payload,
      poison,
    };
  }
  return out;
}

/**
 * The message a handler is given for a readable record (no poison), as its `attempt`-th delivery
 * from shard `shardId` of `queue`; `defaultMaxAttempts` when the envelope sets none.
 */
export function messageOf(
  r: ShardRecord,
  queue: string,
  shardId: string,
  attempt: number,
  defaultMaxAttempts: number,
): Message {
  const e = r.envelope as DecodedEnvelope;
  const createdAt = new Date(e.createdAt);
  return {
    id: e.id,
    queue,
    type: e.type,
    payload: r.payload,
    attempt,
    maxAttempts: e.maxAttempts ?? defaultMaxAttempts,
    createdAt,
    runAt: createdAt,
    partitionKey: e.partitionKey,
    priority: 0,
    headers: e.headers ?? {},
    meta: { shardId, sequenceNumber: r.sequenceNumber, recordPartitionKey: r.recordPartitionKey },
  };
}

/** Most batches of one shard in flight at once (Lambda's ParallelizationFactor allows 10). */
const MAX_LANES = 10;

/**
 * Lanes (batches of one shard in flight at once) for a consumer of `concurrency` that owns
 * `owned` shards: each shard gets an equal share of the handler slots, at least 1 and at most 10.
 * With as many shards as slots, each shard runs one batch at a time, in sequence-number order; a
 * consumer with fewer shards than slots runs the spare ones as parallel lanes by partition key
 * (Lambda's ParallelizationFactor). Read for each GetRecords response, so it follows rebalancing.
 * Pure.
 */
export function lanesPerShard(concurrency: number, owned: number): number {
  return Math.min(MAX_LANES, Math.max(1, Math.ceil(concurrency / Math.max(1, owned))));
}

/**
 * The lane (0 … lanes−1) of a partition key: records of one key always share a lane, so lanes
 * run in parallel while each key keeps its order (Lambda's ParallelizationFactor). FNV-1a. Pure.
 */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < partitionKey.length; i++) {
    hash ^= partitionKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

/** Splits `items` into two halves (the first one larger by at most one). Pure. */
export function halves<T>(items: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}

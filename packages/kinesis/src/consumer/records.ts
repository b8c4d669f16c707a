import type { _Record } from '@aws-sdk/client-kinesis';
import type { ErrorInfo, Message, Serializer } from '@mqkit/core';
import { poisonError } from '@mqkit/core/provider';
import { type DecodedEnvelope, decodeEnvelope } from '../envelope.js';

/** One record read from a shard, decoded (or marked poison) once. */
export interface ShardRecord {
  /** Position in the GetRecords response it came in. */
  readonly index: number;
  readonly sequenceNumber: string;
  /** The record's Kinesis partition key. */
  readonly recordPartitionKey: string;
  readonly arrivedAt: number;
  readonly data: Uint8Array;
  /** The message as first delivered (attempt 1); absent for a poison record. */
  readonly message: Message | undefined;
  /** Why the record cannot be read (not an mqkit envelope, or the serializer rejected it). */
  readonly poison: ErrorInfo | undefined;
  /** The decoded envelope, also when its payload could not be deserialised. */
  readonly envelope: DecodedEnvelope | undefined;
}

const NOT_AN_ENVELOPE: ErrorInfo = Object.freeze({
  name: 'PoisonRecord',
  message: 'record data is not an mqkit message envelope',
});
const NO_DATA = new Uint8Array();

/**
 * Decodes the records of one GetRecords call; never throws (unreadable records become poison).
 * One `JSON.parse` per record for the v2 layout (payload inline), two for v1 (the envelope, then
 * the payload through the serializer).
 */
export function decodeRecords(
  records: readonly _Record[],
  context: {
    readonly queue: string;
    readonly shardId: string;
    readonly serializer: Serializer;
    readonly defaultMaxAttempts: number;
  },
): ShardRecord[] {
  const { queue, shardId, serializer, defaultMaxAttempts } = context;
  const out = new Array<ShardRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as _Record;
    const sequenceNumber = r.SequenceNumber ?? '';
    const recordPartitionKey = r.PartitionKey ?? '';
    const data = r.Data ?? NO_DATA;
    const arrivedAt = r.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
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
    let message: Message | undefined;
    if (envelope !== undefined && poison === undefined) {
      const createdAt = new Date(envelope.createdAt);
      message = {
        id: envelope.id,
        queue,
        type: envelope.type,
        payload,
        attempt: 1,
        maxAttempts: envelope.maxAttempts ?? defaultMaxAttempts,
        createdAt,
        runAt: createdAt,
        partitionKey: envelope.partitionKey,
        priority: 0,
        headers: envelope.headers ?? {},
        meta: { shardId, sequenceNumber, recordPartitionKey },
      };
    }
    out[i] = {
      index: i,
      sequenceNumber,
      recordPartitionKey,
      arrivedAt,
      data,
      message,
      poison,
      envelope,
    };
  }
  return out;
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

import type { _Record } from '@aws-sdk/client-kinesis';
import type { ErrorInfo, Message, Serializer } from '@mqkit/core';
import { poisonError } from '@mqkit/core/provider';
import { decodeEnvelope, type Envelope } from '../envelope.js';

/** One record read from a shard, decoded (or marked poison) once. */
export interface ShardRecord {
  readonly sequenceNumber: string;
  /** The record's Kinesis partition key. */
  readonly recordPartitionKey: string;
  readonly arrivedAt: number;
  readonly data: Uint8Array;
  /** The message as first delivered (attempt 1); absent for a poison record. */
  readonly message: Message | undefined;
  /** Why the record cannot be read (not an mqkit envelope, or the serializer rejected it). */
  readonly poison: ErrorInfo | undefined;
  /** Serialised payload (for the dead-letter store). */
  readonly body: string | undefined;
  /** The decoded envelope, also when its payload could not be deserialised. */
  readonly envelope: Envelope | undefined;
}

/** Decodes the records of one GetRecords call; never throws (unreadable records become poison). */
export function decodeRecords(
  records: readonly _Record[],
  context: {
    readonly queue: string;
    readonly shardId: string;
    readonly serializer: Serializer;
    readonly defaultMaxAttempts: number;
  },
): ShardRecord[] {
  const out = new Array<ShardRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as _Record;
    const sequenceNumber = r.SequenceNumber ?? '';
    const data = r.Data ?? new Uint8Array();
    const base = {
      sequenceNumber,
      recordPartitionKey: r.PartitionKey ?? '',
      arrivedAt: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      data,
    };
    const envelope = decodeEnvelope(data);
    if (envelope === undefined) {
      out[i] = {
        ...base,
        message: undefined,
        body: undefined,
        envelope: undefined,
        poison: { name: 'PoisonRecord', message: 'record data is not an mqkit message envelope' },
      };
      continue;
    }
    let payload: unknown;
    try {
      payload = context.serializer.deserialize(envelope.body);
    } catch (error) {
      out[i] = {
        ...base,
        message: undefined,
        body: envelope.body,
        envelope,
        poison: poisonError(error, context.serializer),
      };
      continue;
    }
    const createdAt = new Date(envelope.createdAt);
    out[i] = {
      ...base,
      body: envelope.body,
      envelope,
      poison: undefined,
      message: {
        id: envelope.id,
        queue: context.queue,
        type: envelope.type,
        payload,
        attempt: 1,
        maxAttempts: envelope.maxAttempts ?? context.defaultMaxAttempts,
        createdAt,
        runAt: createdAt,
        partitionKey: envelope.partitionKey,
        priority: 0,
        headers: envelope.headers ?? {},
        meta: {
          shardId: context.shardId,
          sequenceNumber,
          recordPartitionKey: base.recordPartitionKey,
        },
      },
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

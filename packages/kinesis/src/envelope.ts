import type { Headers } from '@mqkit/core';

/**
 * What one Kinesis record carries: the message model around the serialised payload. Stored as
 * compact JSON in the record's `Data`; `v` versions the layout.
 */
export interface Envelope {
  readonly v: 1;
  readonly id: string;
  readonly type: string;
  /** The serializer's output for the payload. */
  readonly body: string;
  /** Publish time, ms since the epoch. */
  readonly createdAt: number;
  readonly headers?: Headers;
  /** The partition key given at publish, when one was (not the derived one). */
  readonly partitionKey?: string;
  readonly maxAttempts?: number;
}

/** Serialises an envelope to the bytes of a record. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * Reads a record's bytes back; `undefined` when they are not an mqkit envelope (a poison record:
 * written by something else, truncated or corrupted).
 */
export function decodeEnvelope(data: Uint8Array): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (
    e.v !== 1 ||
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.body !== 'string' ||
    typeof e.createdAt !== 'number'
  )
    return undefined;
  if (e.headers !== undefined && (typeof e.headers !== 'object' || e.headers === null))
    return undefined;
  if (e.partitionKey !== undefined && typeof e.partitionKey !== 'string') return undefined;
  if (e.maxAttempts !== undefined && typeof e.maxAttempts !== 'number') return undefined;
  return value as Envelope;
}

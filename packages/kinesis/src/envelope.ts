import { type Headers, jsonSerializer, type Serializer } from '@mqkit/core';

/**
 * What one Kinesis record carries: the message model around the serialised payload. Stored as
 * compact JSON in the record's `Data`; `v` versions the layout:
 *
 * - `v: 2` (the default with the built-in JSON serializer): the payload is inline JSON,
 *   `{"v":2,"id":…,"type":…,"createdAt":…,"payload":{…}}`, so a reader parses each record once.
 * - `v: 1` (`producer.envelopeVersion: 1`, and always with a serializer other than the built-in
 *   JSON one): the serializer's output as a string, `{"v":1,…,"body":"{\"x\":1}"}`; a reader
 *   parses the envelope, then the payload.
 *
 * Readers accept both layouts.
 */
export interface Envelope {
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

/**
 * The envelope of message `id` published (or replayed) at `createdAt`: empty headers and absent
 * fields are left `undefined`, which the encoded record leaves out.
 */
export function envelopeOf(
  id: string,
  m: {
    readonly type: string;
    readonly body: string;
    readonly headers: Headers;
    readonly partitionKey?: string | undefined;
    readonly maxAttempts?: number | undefined;
  },
  createdAt: number,
): Envelope {
  return {
    id,
    type: m.type,
    body: m.body,
    createdAt,
    headers: hasKeys(m.headers) ? m.headers : undefined,
    partitionKey: m.partitionKey,
    maxAttempts: m.maxAttempts,
  };
}

/** Whether `headers` has an own key (without listing them all, as `Object.keys` would). */
function hasKeys(headers: Headers): boolean {
  for (const key in headers) if (Object.hasOwn(headers, key)) return true;
  return false;
}

/** An envelope as read from a record: the payload already parsed when the record carried it inline. */
export interface DecodedEnvelope extends Omit<Envelope, 'body'> {
  /** Layout version of the record (see {@link Envelope}). */
  readonly v: 1 | 2;
  /** The serialised payload (v1); absent for a v2 record, whose payload is parsed already. */
  readonly body?: string;
  /** The payload (v2 records only). */
  readonly payload?: unknown;
}

/**
 * Serialises an envelope to the bytes of a record: v2 (payload inline, one parse to read) when
 * `inline` — the body must then be JSON text, as the built-in JSON serializer writes it — and v1
 * (payload as a string) otherwise.
 */
export function encodeEnvelope(e: Envelope, inline: boolean): Buffer {
  // Absent optional fields are `undefined`, which JSON.stringify leaves out.
  if (!inline)
    return Buffer.from(
      JSON.stringify({
        v: 1,
        id: e.id,
        type: e.type,
        body: e.body,
        createdAt: e.createdAt,
        headers: e.headers,
        partitionKey: e.partitionKey,
        maxAttempts: e.maxAttempts,
      }),
    );
  const head = JSON.stringify({
    v: 2,
    id: e.id,
    type: e.type,
    createdAt: e.createdAt,
    headers: e.headers,
    partitionKey: e.partitionKey,
    maxAttempts: e.maxAttempts,
  });
  return Buffer.from(`${head.slice(0, -1)},"payload":${e.body}}`);
}

/** Whether bodies serialised by `serializer` are written inline (v2): only JSON's are. */
export function writesInline(serializer: Serializer): boolean {
  return serializer === jsonSerializer;
}

/** Whether `body` is JSON text (a stored body may be a payload the serializer could not read). */
export function isJsonText(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a record's bytes back (either layout); `undefined` when they are not an mqkit envelope (a
 * poison record: written by something else, truncated or corrupted).
 */
export function decodeEnvelope(data: Uint8Array): DecodedEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (
    (e.v === 2 ? !('payload' in e) : e.v !== 1 || typeof e.body !== 'string') ||
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.createdAt !== 'number'
  )
    return undefined;
  if (e.headers !== undefined && (typeof e.headers !== 'object' || e.headers === null))
    return undefined;
  if (e.partitionKey !== undefined && typeof e.partitionKey !== 'string') return undefined;
  if (e.maxAttempts !== undefined && typeof e.maxAttempts !== 'number') return undefined;
  return value as unknown as DecodedEnvelope;
}

/** The serialised payload of a decoded envelope (re-serialised as JSON for a v2 record). */
export function bodyOf(envelope: DecodedEnvelope): string {
  return envelope.body ?? JSON.stringify(envelope.payload);
}

/** Keeps a leading byte-order mark, as `Buffer#toString` does (such data is not an envelope). */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * UTF-8 text of a record's bytes (invalid sequences become U+FFFD, as `Buffer#toString` makes
 * them). A `TextDecoder` reads the SDK's `Uint8Array` as it is, where a `Buffer` view of it first
 * costs an object per record.
 */
function utf8(data: Uint8Array): string {
  return UTF8.decode(data);
}

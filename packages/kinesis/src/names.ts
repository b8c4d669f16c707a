import { ValidationError } from '@mqkit/core';
import { qualifyQueueName } from '@mqkit/core/provider';

/** Kinesis stream names: 1–128 of `A–Z a–z 0–9 _ . -`. */
const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The Kinesis stream of `queue`. An explicit `streams[queue]` wins. Otherwise, without a
 * namespace, the queue name itself; with one, `namespace.queue`. A namespace has no `.`, so the
 * first `.` separates it; to keep the mapping collision-free, an un-namespaced queue whose name
 * contains `.` must be mapped explicitly (it could otherwise equal `namespace.queue`).
 */
export function streamNameOf(
  queue: string,
  namespace: string | undefined,
  streams: Readonly<Record<string, string>>,
  provider: string,
): string {
  const explicit = streams[queue];
  if (explicit !== undefined) return explicit;
  if (namespace === undefined && queue.includes('.')) {
    throw new ValidationError(
      `[@mqkit/${provider}] queue "${queue}" contains "." and no namespace is set, so its stream name could collide with a namespaced queue's ("namespace.queue"); map it explicitly with the "streams" option`,
    );
  }
  const name = namespace === undefined ? queue : `${namespace}.${queue}`;
  if (!STREAM_NAME.test(name)) {
    throw new ValidationError(
      `[@mqkit/${provider}] stream name "${name}" for queue "${queue}" is longer than Kinesis allows (128 characters); shorten the namespace or queue, or map it with the "streams" option`,
    );
  }
  return name;
}

/** True when `name` is a valid Kinesis stream name. */
export function isStreamName(name: unknown): name is string {
  return typeof name === 'string' && STREAM_NAME.test(name);
}

/** The Redis keys of one queue. Every key shares the hash tag `{namespace:queue}` (one cluster slot). */
export interface QueueKeys {
  /** Lease hash of a shard. */
  lease(shardId: string): string;
  /** Checkpoint hash of a shard. */
  checkpoint(shardId: string): string;
  /** Sorted set of dead-letter ids (score: dead-letter time). */
  readonly deadLetterIndex: string;
  /** Hash of dead letters by id. */
  readonly deadLetterData: string;
  /** Sorted set of live consumer instances (score: last heartbeat, Redis clock). */
  readonly instances: string;
  /** Marker written once per Redis data set: a different or missing one means Redis lost its data. */
  readonly epoch: string;
}

/**
 * The key prefix as written into keys: `%`, `{` and `}` percent-encoded (`%25`, `%7B`, `%7D`), so
 * a user's prefix can never open or close a Redis Cluster hash tag (an empty `{}` in it would
 * make Redis hash whole keys, scattering one stream's keys over slots). Collision-free. Pure.
 */
export function encodeKeyPrefix(prefix: string): string {
  return prefix.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Keys as `<prefix>:{<namespace:queue>}:<kind>[:<shardId>]`, the prefix encoded by
 * {@link encodeKeyPrefix} and queue names free of braces, so the braces always delimit the hash
 * tag and every key of one queue maps to one cluster slot.
 */
export function queueKeys(prefix: string, namespace: string | undefined, queue: string): QueueKeys {
  const base = `${encodeKeyPrefix(prefix)}:{${qualifyQueueName(namespace, queue)}}`;
  return {
    lease: (shardId) => `${base}:lease:${shardId}`,
    checkpoint: (shardId) => `${base}:checkpoint:${shardId}`,
    deadLetterIndex: `${base}:dead-letters:index`,
    deadLetterData: `${base}:dead-letters:data`,
    instances: `${base}:instances`,
    epoch: `${base}:epoch`,
  };
}

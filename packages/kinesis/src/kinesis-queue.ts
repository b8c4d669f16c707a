import {
  type Capabilities,
  type ConsumeOptions,
  type Consumer,
  consumeDefaults,
  type Handler,
  type HealthOptions,
  type HealthReport,
  type MessageOf,
  type MessageQueue,
  MessageTooLargeError,
  type PayloadMap,
  type PeekOptions,
  type PublishInput,
  type PublishResult,
  type QueueStats,
  type StopOptions,
} from '@mqkit/core';
import {
  assignId,
  checkHealth,
  createConsumerRegistry,
  errorInfo,
  type PreparedMessage,
  prepareMessage,
  prepareMessages,
  publishTail,
  resolvePeekOptions,
  resolveQueueOptions,
  resolveStopTimeout,
  sleep,
} from '@mqkit/core/provider';
import { createRedisCheckpointStore } from './checkpoint/store.js';
import { ensureStream, kinesisClientOf, redisClientOf } from './clients.js';
import { startKinesisConsumer } from './consumer/consumer.js';
import type { DeadLetterReason } from './consumer/deliver.js';
import type { ShardRecord } from './consumer/records.js';
import { deadLetterEntry } from './dead-letter/entry.js';
import { createRedisDeadLetters } from './dead-letter/store.js';
import { encodeEnvelope, envelopeOf, isJsonText, writesInline } from './envelope.js';
import { createInstanceRegistry } from './instances/registry.js';
import { createRedisLeaseStore } from './lease/leases.js';
import { queueKeys, streamNameOf } from './names.js';
import {
  KINESIS_OPTION_KEYS,
  type KinesisQueueOptions,
  PROVIDER,
  resolveKinesisOptions,
} from './options.js';
import { partitionKeyOf } from './partition-key.js';
import { createLingerBuffer } from './producer/linger.js';
import { type PutEntry, putRecords, putRecordsSettled } from './producer/put-records.js';
import { readOwners } from './rebalance/owners.js';
import { peekStream } from './stats/peek.js';

/** Kinesis: ordered per shard and key; no delay, priority or deduplication; retries block the shard. */
export const kinesisCapabilities: Capabilities = Object.freeze({
  delay: false,
  priority: false,
  ordering: true,
  deduplication: false,
  retryInPlace: true,
});

/** A Kinesis-backed {@link MessageQueue}, plus `init()`. */
export interface KinesisQueue<M extends PayloadMap = PayloadMap> extends MessageQueue<M> {
  /** Checks that Redis answers and that the queue's stream exists (creating it with `autoCreate`). */
  init(queues?: readonly string[]): Promise<void>;
  /** The records the consumers would be handed next, read-only (docs/providers/kinesis.md). */
  peek(queue: string, options?: PeekOptions): Promise<MessageOf<M>[]>;
}

/**
 * Creates a {@link MessageQueue} on Amazon Kinesis Data Streams: `publish` puts records in
 * batched PutRecords calls; `consume` leases shards through Redis and delivers each shard's
 * records in order, checkpointing after every handled batch. Options are validated here
 * ({@link ConfigurationError}); clients connect lazily on first use.
 */
export function createKinesisQueue<M extends PayloadMap = PayloadMap>(
  options?: KinesisQueueOptions,
): KinesisQueue<M> {
  const resolved = resolveQueueOptions(options, PROVIDER, KINESIS_OPTION_KEYS);
  const k = resolveKinesisOptions(options);
  const { logger, lifecycle, serializer, namespace } = resolved;
  const inline = k.envelopeVersion === 2 && writesInline(serializer); // JSON payloads inline (v2)
  let kinesis: ReturnType<typeof kinesisClientOf> | undefined;
  let redis: ReturnType<typeof redisClientOf> | undefined;
  const kinesisClient = () => {
    kinesis ??= kinesisClientOf(options?.kinesis);
    return kinesis.client;
  };
  const redisClient = () => {
    redis ??= redisClientOf(options?.redis);
    return redis.client;
  };
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle, serializer });
  const streamOf = (queue: string) => streamNameOf(queue, namespace, k.streams, PROVIDER);
  const keysOf = (queue: string) => queueKeys(k.keyPrefix, namespace, queue);
  const checkpointsOf = (queue: string) =>
    k.checkpointStore
      ? k.checkpointStore(queue)
      : createRedisCheckpointStore(redisClient(), keysOf(queue));
  const streamsReady = new Map<string, Promise<void>>();
  const ready = (stream: string): Promise<void> => {
    let p = streamsReady.get(stream);
    if (p === undefined) {
      p = ensureStream(kinesisClient(), stream, k.autoCreate);
      p.catch(() => streamsReady.delete(stream));
      streamsReady.set(stream, p);
    }
    return p;
  };
  const prepareContext = {
    provider: PROVIDER,
    capabilities: kinesisCapabilities,
    serializer,
    maxMessageBytes: resolved.maxMessageBytes,
  };

  const hooksOf = (stream: string) => ({
    onThrottled: (retryInMs: number) => {
      if (lifecycle.active)
        lifecycle.emit({
          type: 'throttled',
          provider: PROVIDER,
          queue: stream,
          operation: 'PutRecords',
          retryInMs,
        });
    },
  });
  async function put(stream: string, entries: PutEntry[]): Promise<string[]> {
    await ready(stream);
    return putRecords(kinesisClient(), stream, entries, k.limits, k.put, hooksOf(stream));
  }
  // With `producer.linger`, publishes of one stream share PutRecords calls (each settles alone).
  const linger =
    k.linger &&
    createLingerBuffer(k.linger, k.limits, (stream, entries) =>
      putRecordsSettled(kinesisClient(), stream, entries, k.limits, k.put, hooksOf(stream)),
    );

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const stream = streamOf(queue);
    const list = Array.isArray(input)
      ? (input as readonly PublishInput[])
      : [input as PublishInput];
    // Each message is validated, given its id and encoded in one pass, so that only the records
    // (not every intermediate form of the whole batch) are alive at once; nothing is sent before
    // the last message passed. Trace headers are added once the whole batch validated, so with a
    // propagating lifecycle the batch is prepared first.
    const batchFirst = lifecycle.propagate !== undefined;
    const prepared = batchFirst
      ? prepareMessages(input, prepareContext, { lifecycle, queue })
      : new Array<PreparedMessage>(list.length);
    const ids = new Array<string>(list.length);
    const entries = new Array<PutEntry>(list.length);
    const customIds = options?.generateId !== undefined;
    const now = Date.now();
    for (let i = 0; i < list.length; i++) {
      let p: PreparedMessage;
      if (batchFirst) p = prepared[i] as PreparedMessage;
      else {
        p = prepareMessage(list[i], i, list.length > 1, prepareContext);
        prepared[i] = p;
      }
      const id = assignId(p.id, resolved.generateId, PROVIDER, customIds);
      ids[i] = id;
      // The default strategy ('id') needs no call: ids are 1–200 characters, a valid key.
      const partitionKey =
        p.partitionKey ??
        (k.partitionKey === 'id'
          ? id
          : partitionKeyOf(
              undefined,
              { id, type: p.type, payload: (list[i] as PublishInput).payload },
              k.partitionKey,
            ));
      const data = encodeEnvelope(envelopeOf(id, p, now), inline);
      const size = data.byteLength + Buffer.byteLength(partitionKey);
      if (size > k.limits.maxRecordBytes) {
        throw new MessageTooLargeError(
          size,
          k.limits.maxRecordBytes,
          `[@mqkit/${PROVIDER}] message${prepared.length > 1 ? `[${i}]` : ''} is ${size} bytes as a Kinesis record (data + partition key), over the limit of ${k.limits.maxRecordBytes} bytes; store large data elsewhere and publish a reference, or raise "producer.maxRecordBytes" if your stream allows larger records; nothing was published`,
          { index: i },
        );
      }
      entries[i] = { Data: data, PartitionKey: partitionKey, size };
    }
    const positions = linger
      ? await ready(stream).then(() => linger.add(stream, entries))
      : await put(stream, entries);
    publishTail({
      provider: PROVIDER,
      queue,
      prepared,
      ids,
      logger,
      logPayloads: resolved.logPayloads,
      lifecycle,
    });
    return { ids, positions };
  }

  const deadLetters = createRedisDeadLetters({
    redis: redisClient,
    keysOf,
    serializer,
    maxEntries: k.deadLetters.maxEntries,
    assertQueue: (queue) => {
      consumers.assertUsable(queue);
    },
    async replay(queue, entries) {
      const stream = streamOf(queue);
      const now = Date.now();
      await put(
        stream,
        entries.map((e) => {
          const data = e.poison
            ? Buffer.from(e.body, 'base64')
            : encodeEnvelope(envelopeOf(e.id, e, now), inline && isJsonText(e.body));
          return {
            Data: data,
            PartitionKey: e.recordPartitionKey,
            size: data.byteLength + Buffer.byteLength(e.recordPartitionKey),
          };
        }),
      );
    },
  });

  async function storeDeadLetter(
    queue: string,
    record: ShardRecord,
    shardId: string,
    error: unknown,
    attempts: number,
    reason: DeadLetterReason,
    defaultMaxAttempts: number,
  ): Promise<void> {
    const entry = deadLetterEntry(record, shardId, error, attempts, reason, defaultMaxAttempts);
    await deadLetters.add(keysOf(queue), entry);
    logger.warn(
      { queue, id: entry.id, type: entry.type, attempt: attempts, reason, err: entry.error },
      'message dead-lettered',
    );
    if (k.deadLetters.forwardTo) {
      const { queue: target, name } = k.deadLetters.forwardTo;
      await target.publish(name, {
        type: 'mqkit.dead-letter',
        payload: { queue, ...entry },
        id: `${queue}:${entry.shardId}:${entry.sequenceNumber}`,
      });
    }
    if (lifecycle.active) {
      lifecycle.emit({
        type: 'deadLettered',
        provider: PROVIDER,
        queue,
        message: {
          id: entry.id,
          type: entry.type,
          attempt: attempts,
          createdAt: new Date(entry.createdAt),
          partitionKey: entry.partitionKey,
        },
        error: entry.error,
        reason,
      });
    }
  }

  function consume(
    queue: string,
    handler: Handler<MessageOf<M>>,
    consumeOptions?: ConsumeOptions,
  ): Consumer {
    const options = consumers.prepare(queue, handler, consumeOptions);
    const stream = streamOf(queue);
    const keys = keysOf(queue);
    const { consumer, probe } = startKinesisConsumer({
      provider: PROVIDER,
      queue,
      streamName: stream,
      handler: handler as Handler,
      options,
      kinesisOptions: k,
      client: kinesisClient(),
      leases: createRedisLeaseStore(redisClient(), keys),
      registry: (id, cutoffMs) => createInstanceRegistry(redisClient(), keys, id, cutoffMs),
      owners: (shardIds) => readOwners(redisClient(), keys, shardIds),
      checkpoints: checkpointsOf(queue),
      lifecycle,
      logger,
      serializer,
      ready: () => ready(stream),
      async deadLetter(record, shardId, error, attempts, reason) {
        for (let attempt = 1; attempt <= 8; attempt++) {
          try {
            await storeDeadLetter(
              queue,
              record,
              shardId,
              error,
              attempts,
              reason,
              options.retry.maxAttempts,
            );
            return true;
          } catch (storeError) {
            logger.warn(
              { queue, shardId, err: errorInfo(storeError) },
              'storing a dead letter failed; retrying',
            );
            await sleep(100 * 2 ** attempt, undefined, { unref: true });
          }
        }
        return false;
      },
    });
    return consumers.track(consumer, probe);
  }

  async function init(queues: readonly string[] = []): Promise<void> {
    await redisClient().ping();
    for (const queue of queues) {
      consumers.assertUsable(queue);
      await ready(streamOf(queue));
    }
  }

  /**
   * A stream has no per-message ready/delayed/in-flight state: those are `null` (unknown, not
   * 0). Dead letters are counted in their Redis store; lag is reported per shard through the
   * `shardLag` lifecycle event instead.
   */
  async function stats(queue: string): Promise<QueueStats> {
    consumers.assertUsable(queue);
    const deadLettered = await deadLetters.store.count(queue);
    return {
      queue,
      at: new Date(),
      ready: null,
      delayed: null,
      inFlight: null,
      deadLettered,
      oldestReadyAgeMs: null,
    };
  }

  /** The next records after each unfinished shard's checkpoint; see {@link peekStream}. */
  async function peek(queue: string, peekOptions?: PeekOptions): Promise<MessageOf<M>[]> {
    consumers.assertUsable(queue);
    const limit = resolvePeekOptions(peekOptions, PROVIDER);
    const context = {
      client: kinesisClient(),
      streamName: streamOf(queue),
      checkpoints: checkpointsOf(queue),
      startPosition: k.consumer.startPosition,
      serializer,
      defaultMaxAttempts: consumeDefaults.retry.maxAttempts,
    };
    return (await peekStream(context, queue, limit)) as MessageOf<M>[];
  }

  /** Readiness: one Redis PING (leases, checkpoints and dead letters live there). */
  function health(healthOptions?: HealthOptions): Promise<HealthReport> {
    return checkHealth({
      provider: PROVIDER,
      options: healthOptions,
      ping: () => redisClient().ping(),
      consumers: consumers.health,
    });
  }

  async function close(stopOptions?: StopOptions): Promise<void> {
    resolveStopTimeout(stopOptions, PROVIDER); // validate before changing state
    // Buffered publishes are sent before anything is released (their callers are waiting); the
    // second flush catches publishes buffered while the consumers stopped (later ones are refused).
    await linger?.flush();
    await consumers.close(stopOptions);
    await linger?.flush();
    if (kinesis?.owned) kinesis.client.destroy();
    if (redis?.owned) redis.client.disconnect();
  }

  return {
    provider: PROVIDER,
    capabilities: kinesisCapabilities,
    publish: publish as KinesisQueue<M>['publish'],
    consume,
    deadLetters: deadLetters.store as KinesisQueue<M>['deadLetters'],
    init,
    stats,
    health,
    peek,
    close,
  };
}

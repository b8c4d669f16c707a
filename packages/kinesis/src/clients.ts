import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { BackendError } from '@mqkit/core';
import { sleep } from '@mqkit/core/provider';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Cluster, Redis } from 'ioredis';
import { awsErrorName, backendError } from './errors.js';
import { isKinesisClient, isRedisClient, type KinesisConnection } from './options.js';

/** A client and whether mqkit owns it (then `close()` releases it). */
export interface Owned<T> {
  readonly client: T;
  readonly owned: boolean;
}

/** The user's `KinesisClient`, or one created from the connection settings. */
export function kinesisClientOf(
  option: KinesisClient | KinesisConnection | undefined,
): Owned<KinesisClient> {
  if (isKinesisClient(option)) return { client: option, owned: false };
  const settings = option ?? {};
  const timeout = settings.requestTimeoutMs ?? 10_000;
  const client = new KinesisClient({
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // NodeHttpHandler with a request timeout: kinesalite needs it, and an AT_TIMESTAMP iterator
    // with no record after the timestamp would otherwise hang there. Without
    // throwOnRequestTimeout the handler only logs a warning and the call keeps waiting.
    requestHandler: new NodeHttpHandler({
      requestTimeout: timeout,
      connectionTimeout: timeout,
      throwOnRequestTimeout: true,
    }),
  });
  return { client, owned: true };
}

/**
 * The user's ioredis client (a `Cluster` works too: every key of a queue shares one hash tag, and
 * only commands both clients have are used), or one created (lazily connected) from a URL.
 */
export function redisClientOf(option: Redis | Cluster | string | undefined): Owned<Redis> {
  if (isRedisClient(option)) return { client: option as Redis, owned: false };
  const client = new Redis(option ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  });
  return { client, owned: true };
}

/** Settings of {@link ensureStream}. */
export interface AutoCreate {
  readonly shardCount: number;
}

/**
 * Resolves once `streamName` is ACTIVE. When it does not exist: creates it with `autoCreate`,
 * or throws {@link BackendError} saying how to create it.
 */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  autoCreate: AutoCreate | undefined,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      const status = d.StreamDescriptionSummary?.StreamStatus;
      if (status === 'ACTIVE' || status === 'UPDATING') return;
    } catch (error) {
      if (awsErrorName(error) !== 'ResourceNotFoundException')
        throw backendError(`DescribeStreamSummary ${streamName}`, error);
      if (autoCreate === undefined)
        throw new BackendError(
          `[@mqkit/kinesis] stream "${streamName}" does not exist; create it (aws kinesis create-stream --stream-name ${streamName} --shard-count N) or pass autoCreate: { shardCount } for development`,
          { cause: error },
        );
      try {
        await client.send(
          new CreateStreamCommand({ StreamName: streamName, ShardCount: autoCreate.shardCount }),
        );
      } catch (createError) {
        if (awsErrorName(createError) !== 'ResourceInUseException')
          throw backendError(`CreateStream ${streamName}`, createError);
      }
    }
    if (attempt > 600)
      throw new BackendError(`[@mqkit/kinesis] stream "${streamName}" did not become ACTIVE`);
    await sleep(50);
  }
}

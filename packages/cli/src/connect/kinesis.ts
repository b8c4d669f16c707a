import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '@mqkit/core';
import { createKinesisQueue } from '@mqkit/kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Redis } from 'ioredis';
import type { ConnectionFlags, OpenQueue, ResolvedConnection } from './connection.js';

/** Opens @mqkit/kinesis on the Redis of `connection` and the stream endpoint of the flags. */
export function openKinesis(
  connection: ResolvedConnection,
  flags: ConnectionFlags,
  common: { namespace: string | undefined; logger: Logger },
): OpenQueue {
  const redis = new Redis(connection.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: flags.timeoutMs,
    // Give up instead of reconnecting forever: a CLI run reports the outage and exits.
    retryStrategy: () => null,
  });
  // Without a listener, ioredis prints connection errors itself; the command reports them.
  redis.on('error', () => undefined);
  const client = new KinesisClient({
    region: flags.region ?? 'us-east-1',
    ...(flags.kinesisEndpoint ? { endpoint: flags.kinesisEndpoint } : {}),
    requestHandler: new NodeHttpHandler({
      requestTimeout: flags.timeoutMs,
      connectionTimeout: flags.timeoutMs,
    }),
    maxAttempts: 2,
  });
  const queue = createKinesisQueue({
    ...common,
    kinesis: client,
    redis,
    ...(flags.keyPrefix ? { keyPrefix: flags.keyPrefix } : {}),
    ...(flags.streams ? { streams: { ...flags.streams } } : {}),
  });
  return {
    queue,
    kind: 'kinesis',
    kinesis: { client, redis },
    async close() {
      await queue.close({ timeoutMs: 0 });
      redis.disconnect();
      client.destroy();
    },
  };
}

import type { MessageQueue } from '@mqkit/core';
import { createKinesisQueue } from '@mqkit/kinesis';
import { createMemoryQueue } from '@mqkit/memory';
import type { ShopEvents } from './app/events.js';

/** What the environment says about the queue backend. */
export interface QueueConfig {
  /** Key of {@link queueProviders}, from `MQKIT_PROVIDER` (default `memory`). */
  readonly provider: string;
  /** From `MQKIT_NAMESPACE` (e.g. the environment name); none by default. */
  readonly namespace: string | undefined;
}

type QueueFactory = (config: QueueConfig) => MessageQueue<ShopEvents>;

/**
 * The one place that knows the providers. Adding a backend is one entry here, e.g.
 * `prisma: (c) => createPrismaQueue<ShopEvents>({ client: prisma, namespace: c.namespace }),`
 * — the application code under `app/` does not change.
 */
export const queueProviders: Readonly<Record<string, QueueFactory>> = {
  memory: (config) => createMemoryQueue<ShopEvents>({ namespace: config.namespace }),
  // Kinesis (stream `<namespace>.orders`) with shard leases and checkpoints in Redis.
  // KINESIS_ENDPOINT points at kinesalite or LocalStack; unset, the AWS endpoint of AWS_REGION.
  kinesis: (config) =>
    createKinesisQueue<ShopEvents>({
      namespace: config.namespace,
      kinesis: { endpoint: process.env.KINESIS_ENDPOINT },
      redis: process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379',
      autoCreate: { shardCount: 1 }, // development: create the stream when it is missing
    }),
};

/** Reads {@link QueueConfig} from environment variables. */
export function readQueueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  return {
    provider: env.MQKIT_PROVIDER || 'memory',
    namespace: env.MQKIT_NAMESPACE || undefined,
  };
}

/** Creates the configured queue; throws naming the accepted values for an unknown provider. */
export function createQueue(config: QueueConfig): MessageQueue<ShopEvents> {
  const factory = Object.hasOwn(queueProviders, config.provider)
    ? queueProviders[config.provider]
    : undefined;
  if (factory === undefined) {
    throw new Error(
      `MQKIT_PROVIDER="${config.provider}" is not a known provider (accepted: ${Object.keys(queueProviders).join(', ')})`,
    );
  }
  return factory(config);
}

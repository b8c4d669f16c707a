import type { MessageQueue, QueueOptions } from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import type { ShopEvents } from './app/events.js';

/** What the environment says about the queue backend. */
export interface QueueConfig {
  /** Key of {@link queueProviders}, from `MQKIT_PROVIDER` (default `memory`). */
  readonly provider: string;
  /** From `MQKIT_NAMESPACE` (e.g. the environment name); none by default. */
  readonly namespace: string | undefined;
}

/** Builds the queue; `options` are common queue options the composition root adds (lifecycle, logger, …). */
type QueueFactory = (config: QueueConfig, options?: QueueOptions) => MessageQueue<ShopEvents>;

/**
 * The one place that knows the providers. Adding a backend is one entry here, e.g.
 * `prisma: (c) => createPrismaQueue<ShopEvents>({ client: prisma, namespace: c.namespace }),`
 * — the application code under `app/` does not change.
 */
export const queueProviders: Readonly<Record<string, QueueFactory>> = {
  memory: (config, options) =>
    createMemoryQueue<ShopEvents>({ ...options, namespace: config.namespace }),
};

/** Reads {@link QueueConfig} from environment variables. */
export function readQueueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  return {
    provider: env.MQKIT_PROVIDER || 'memory',
    namespace: env.MQKIT_NAMESPACE || undefined,
  };
}

/**
 * Creates the configured queue, with optional common queue options (e.g. a metrics lifecycle);
 * throws naming the accepted values for an unknown provider.
 */
export function createQueue(config: QueueConfig, options?: QueueOptions): MessageQueue<ShopEvents> {
  const factory = Object.hasOwn(queueProviders, config.provider)
    ? queueProviders[config.provider]
    : undefined;
  if (factory === undefined) {
    throw new Error(
      `MQKIT_PROVIDER="${config.provider}" is not a known provider (accepted: ${Object.keys(queueProviders).join(', ')})`,
    );
  }
  return factory(config, options);
}

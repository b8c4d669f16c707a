import { QueueClosedError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { assertQueueName } from '../names.js';
import type { ConsumerHealth } from '../observe/types.js';
import {
  type ConsumeOptions,
  type ResolvedConsumeOptions,
  resolveConsumeOptions,
} from '../options.js';
import type { Consumer, Handler, StopOptions } from '../types.js';
import type { Claim, ConsumerBackend } from './backend.js';
import { type ConsumerProbe, probeBackend } from './probe.js';
import { runConsumer } from './run-consumer.js';

/** What a provider supplies for one new consumer, built from its validated options. */
export interface ConsumerSetup<C extends Claim> {
  readonly backend: ConsumerBackend<C>;
  /** Called once the consumer has fully stopped. */
  readonly onStopped?: () => void;
}

/**
 * A queue instance's consumers and open/closed state: the part of `consume()` and `close()`
 * every provider shares, so a provider supplies only its backend.
 */
export interface ConsumerRegistry {
  /** Throws {@link QueueClosedError} after `close()`, and {@link ValidationError} for a bad queue name. */
  assertUsable(queue: string): void;
  /**
   * Validates the queue name and options (synchronously, before any I/O), then runs a consumer
   * on the backend `setup` builds from the resolved options, and tracks it until it stops.
   */
  start<C extends Claim>(
    queue: string,
    handler: Handler<C['message']>,
    options: ConsumeOptions | undefined,
    setup: (options: ResolvedConsumeOptions) => ConsumerSetup<C>,
  ): Consumer;
  /** Refuses further use and stops every consumer in parallel with the same timeout. */
  close(options?: StopOptions): Promise<void>;
  /** The state of every consumer not yet fully stopped, for `health()`. */
  health(): ConsumerHealth[];
}

/** Creates a {@link ConsumerRegistry} for one queue instance of `provider`. */
export function createConsumerRegistry(context: {
  readonly provider: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
}): ConsumerRegistry {
  const { provider, logger, lifecycle } = context;
  const consumers = new Map<Consumer, ConsumerProbe>();
  let closed = false;
  const assertUsable = (queue: string): void => {
    if (closed) throw new QueueClosedError(provider);
    assertQueueName(queue, provider);
  };
  return {
    assertUsable,
    start(queue, handler, consumeOptions, setup) {
      assertUsable(queue);
      const options = resolveConsumeOptions(consumeOptions, provider);
      const { backend, onStopped } = setup(options);
      const probe = probeBackend(backend, options);
      const consumer: Consumer = runConsumer({
        backend: probe.backend,
        queue,
        handler,
        options,
        provider,
        logger,
        lifecycle,
        onStopped: () => {
          consumers.delete(consumer);
          onStopped?.();
        },
      });
      consumers.set(consumer, probe);
      return consumer;
    },
    async close(options) {
      closed = true;
      await Promise.all([...consumers.keys()].map((c) => c.stop(options)));
    },
    health() {
      const now = Date.now();
      return [...consumers].map(([consumer, probe]) => probe.health(consumer, now));
    },
  };
}

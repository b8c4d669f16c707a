import { ConfigurationError, QueueClosedError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { assertQueueName } from '../names.js';
import type { ConsumerHealth } from '../observe/types.js';
import {
  type ConsumeOptions,
  describe,
  type ResolvedConsumeOptions,
  resolveConsumeOptions,
  resolveStopTimeout,
} from '../options.js';
import type { Serializer } from '../serializer.js';
import type { Consumer, Handler, StopOptions } from '../types.js';
import type { Claim, ConsumerBackend } from './backend.js';
import { type ConsumerProbe, probeBackend } from './probe.js';

/**
 * What `health()` asks of a tracked consumer. A consumer the provider runs itself (a stream's
 * shard loops) may pass one to `track` to report its own last claim, circuit and liveness.
 */
export type HealthProbe = Pick<ConsumerProbe, 'health'>;

import { runConsumer } from './run-consumer.js';

/** What a provider supplies for one new consumer, built from its validated options. */
export interface ConsumerSetup<C extends Claim> {
  readonly backend: ConsumerBackend<C>;
  /** Called once the consumer has fully stopped. */
  readonly onStopped?: () => void;
}

/**
 * A queue instance's consumers and open/closed state: the part of `consume()` and `close()`
 * every provider shares. A lease-based provider supplies only its backend (`start`); a provider
 * that runs its own loop (a stream's shard loops) validates with `prepare` and hands the
 * resulting consumer to `track`.
 */
export interface ConsumerRegistry {
  /** Throws {@link QueueClosedError} after `close()`, and {@link ValidationError} for a bad queue name. */
  assertUsable(queue: string): void;
  /**
   * Validates everything `consume()` receives — queue name, handler, options — synchronously and
   * before any I/O, and returns the resolved options. Throws {@link QueueClosedError},
   * {@link ValidationError} or {@link ConfigurationError}.
   */
  prepare(
    queue: string,
    handler: unknown,
    options: ConsumeOptions | undefined,
  ): ResolvedConsumeOptions;
  /**
   * `prepare`, then runs a consumer on the backend `setup` builds from the resolved options, and
   * tracks it until it stops.
   */
  start<C extends Claim>(
    queue: string,
    handler: Handler,
    options: ConsumeOptions | undefined,
    setup: (options: ResolvedConsumeOptions) => ConsumerSetup<C>,
  ): Consumer;
  /** Tracks a consumer the provider runs itself: `close()` stops it; forgotten once `stopped` settles. */
  track(consumer: Consumer, probe?: HealthProbe): Consumer;
  /**
   * Validates `options` (nothing changes when they are invalid), then refuses further use and
   * stops every consumer in parallel with the same timeout.
   */
  close(options?: StopOptions): Promise<void>;
  /** The state of every consumer not yet fully stopped, for `health()`. */
  health(): ConsumerHealth[];
}

/** Creates a {@link ConsumerRegistry} for one queue instance of `provider`. */
export function createConsumerRegistry(context: {
  readonly provider: string;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  readonly serializer: Serializer;
}): ConsumerRegistry {
  const { provider, logger, lifecycle, serializer } = context;
  // A consumer the provider runs itself (`track`) has no probe: its health is its running flag.
  const consumers = new Map<Consumer, HealthProbe | undefined>();
  let closed = false;
  const assertUsable = (queue: string): void => {
    if (closed) throw new QueueClosedError(provider);
    assertQueueName(queue, provider);
  };
  const prepare = (
    queue: string,
    handler: unknown,
    options: ConsumeOptions | undefined,
  ): ResolvedConsumeOptions => {
    assertUsable(queue);
    if (typeof handler !== 'function') {
      throw new ConfigurationError(
        'handler',
        `[@mqkit/${provider}] consume() needs a handler function (messages, ctx) => …, got ${describe(handler)}`,
      );
    }
    return resolveConsumeOptions(options, provider);
  };
  const track = (consumer: Consumer, probe?: HealthProbe): Consumer => {
    consumers.set(consumer, probe);
    const forget = (): void => void consumers.delete(consumer);
    consumer.stopped.then(forget, forget);
    return consumer;
  };
  return {
    assertUsable,
    prepare,
    track,
    start(queue, handler, consumeOptions, setup) {
      const options = prepare(queue, handler, consumeOptions);
      const { backend, onStopped } = setup(options);
      const probe = probeBackend(backend, options);
      return track(
        runConsumer({
          backend: probe.backend,
          queue,
          handler,
          options,
          provider,
          logger,
          lifecycle,
          serializer,
          onStopped,
        }),
        probe,
      );
    },
    async close(options) {
      const timeoutMs = resolveStopTimeout(options, provider);
      closed = true;
      await Promise.all([...consumers.keys()].map((c) => c.stop({ timeoutMs })));
    },
    health() {
      const now = Date.now();
      return [...consumers].map(([consumer, probe]) =>
        probe ? probe.health(consumer, now) : trackedHealth(consumer),
      );
    },
  };
}

/** Health of a consumer the provider runs itself: only what the consumer object exposes. */
function trackedHealth(consumer: Consumer): ConsumerHealth {
  return {
    id: consumer.id,
    queue: consumer.queue,
    running: consumer.running,
    lastClaimAt: undefined,
    circuit: 'closed',
    live: true,
  };
}

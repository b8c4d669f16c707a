import type { Consumer, StopOptions } from '../types.js';

/** Tracks a queue's consumers so `close()` can stop them all. */
export interface ConsumerRegistry {
  /** Remembers `consumer` until it stops. */
  add(consumer: Consumer): void;
  /** Forgets `consumer` (call from `onStopped`). */
  remove(consumer: Consumer): void;
  /** Consumers currently registered for `queue` (or all). */
  list(queue?: string): Consumer[];
  /** Stops every consumer, in parallel, with the same timeout. */
  stopAll(options?: StopOptions): Promise<void>;
}

/** Creates a {@link ConsumerRegistry}. */
export function createConsumerRegistry(): ConsumerRegistry {
  const consumers = new Set<Consumer>();
  return {
    add: (consumer) => void consumers.add(consumer),
    remove: (consumer) => void consumers.delete(consumer),
    list: (queue) => [...consumers].filter((c) => queue === undefined || c.queue === queue),
    async stopAll(options) {
      await Promise.all([...consumers].map((c) => c.stop(options)));
    },
  };
}

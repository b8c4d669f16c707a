import { QueueState } from './store.js';

/**
 * Holds the queues of one or more memory queue instances. Pass one store to several
 * `createMemoryQueue({ store })` calls to let them share queues (like processes sharing a server);
 * a store you pass in stays usable after those queues close.
 */
export interface MemoryStore {
  /** Number of live (not dead-lettered) messages in a queue, by its stored (namespaced) name. */
  size(storedName: string): number;
  /** Stored (namespaced) names of the queues used so far. */
  queueNames(): string[];
}

/** The store's implementation; its queue states stay inside this package. */
export class MemoryStoreImpl implements MemoryStore {
  private readonly queues = new Map<string, QueueState>();

  /** The state of a (namespaced) queue, created on first use. */
  state(name: string): QueueState {
    let state = this.queues.get(name);
    if (state === undefined) {
      state = new QueueState();
      this.queues.set(name, state);
    }
    return state;
  }

  size(storedName: string): number {
    return this.queues.get(storedName)?.size ?? 0;
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }
}

/** Creates an empty {@link MemoryStore}. */
export function createMemoryStore(): MemoryStore {
  return new MemoryStoreImpl();
}

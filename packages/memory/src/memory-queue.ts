import { AsyncLocalStorage } from 'node:async_hooks';
import {
  assertQueueName,
  type Capabilities,
  Checker,
  type Claim,
  type ConsumeOptions,
  type Consumer,
  type ConsumerBackend,
  checkHealth,
  createConsumerRegistry,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterStore,
  type Handler,
  type HealthOptions,
  type HealthReport,
  type Message,
  type MessageOf,
  type MessageQueue,
  type Outcomes,
  type PayloadMap,
  type PublishInput,
  type PublishResult,
  prepareMessages,
  type QueueOptions,
  type QueueStats,
  qualifyQueueName,
  type ResolvedQueueOptions,
  resolveQueueOptions,
  type Serializer,
  toQueueStats,
} from '@mqkit/core';
import {
  createMemoryStore,
  type MemoryStore,
  type QueueState,
  type StoredMessage,
} from './store.js';

const PROVIDER = 'memory';

/** Set while an immediate-mode handler runs, so `publish` from inside it does not wait. */
const insideHandler = new AsyncLocalStorage<boolean>();

/** Options of {@link createMemoryQueue}. */
export interface MemoryQueueOptions extends QueueOptions {
  /** Share queues between queue instances by passing one store. Default: a new private store. */
  store?: MemoryStore;
  /**
   * Immediate mode (tests and scripts): while a consumer runs on the queue, `publish` resolves only
   * after each due message's first attempt has an outcome. Default false.
   */
  immediate?: boolean;
}

/** A memory-backed {@link MessageQueue}, plus the store it uses. */
export interface MemoryQueue<M extends PayloadMap = PayloadMap> extends MessageQueue<M> {
  /** The store holding this queue's messages. */
  readonly store: MemoryStore;
}

/** Everything @mqkit/memory supports. */
export const memoryCapabilities: Capabilities = Object.freeze({
  delay: true,
  priority: true,
  ordering: true,
  deduplication: true,
});

interface MemoryClaim extends Claim {
  readonly record: StoredMessage;
  readonly token: number;
}

function toMessage(
  record: StoredMessage,
  queue: string,
  serializer: Serializer,
  defaultMaxAttempts: number,
): Message {
  const createdAt = new Date(record.createdAt);
  return {
    id: record.id,
    queue,
    type: record.type,
    payload: serializer.deserialize(record.body),
    attempt: record.attempt,
    maxAttempts: record.maxAttempts ?? defaultMaxAttempts,
    // Fresh Dates per delivery: caching them on the long-lived record writes young objects into
    // old ones, which costs the garbage collector more than the allocation. One Date serves both
    // fields when the message was due at once (the common case).
    createdAt,
    runAt: record.runAt === record.createdAt ? createdAt : new Date(record.runAt),
    partitionKey: record.partitionKey,
    priority: record.priority,
    headers: record.headers,
  };
}

function memoryBackend(
  state: QueueState,
  queue: string,
  serializer: Serializer,
  defaultMaxAttempts: number,
): ConsumerBackend<MemoryClaim> {
  return {
    claim(limit, leaseMs) {
      const records = state.claim(limit, leaseMs, Date.now());
      const claims = new Array<MemoryClaim>(records.length);
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as StoredMessage;
        claims[i] = {
          record,
          token: record.token,
          message: toMessage(record, queue, serializer, defaultMaxAttempts),
        };
      }
      return Promise.resolve(claims);
    },
    extend(claims, leaseMs) {
      const now = Date.now();
      return Promise.resolve(claims.filter((c) => !state.extend(c.record, c.token, leaseMs, now)));
    },
    settle(outcomes: Outcomes<MemoryClaim>) {
      const now = Date.now();
      for (const c of outcomes.acked) state.ack(c.record, c.token, now);
      for (const r of outcomes.retried) state.retry(r.claim.record, r.claim.token, r.delayMs, now);
      for (const d of outcomes.deadLettered)
        state.deadLetter(d.claim.record, d.claim.token, d.error, d.claim.message.maxAttempts, now);
      for (const c of outcomes.released) state.release(c.record, c.token, now);
      state.wake();
      return Promise.resolve();
    },
    waitForWork(timeoutMs, signal) {
      return state.wait(timeoutMs, signal, Date.now());
    },
  };
}

function matches(entry: DeadLetter, filter: DeadLetterFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.ids !== undefined && !filter.ids.includes(entry.message.id)) return false;
  if (filter.type !== undefined && entry.message.type !== filter.type) return false;
  if (filter.before !== undefined && entry.deadLetteredAt >= filter.before) return false;
  return filter.where === undefined || filter.where(entry);
}

function deadLetterStore(store: MemoryStore, options: ResolvedQueueOptions): DeadLetterStore {
  const stateOf = (queue: string): QueueState => {
    assertQueueName(queue, PROVIDER);
    return store.state(qualifyQueueName(options.namespace, queue));
  };
  const view = (queue: string, state: QueueState) =>
    state.deadLetters.map((entry) => ({
      entry,
      deadLetter: {
        message: toMessage(entry.record, queue, options.serializer, entry.maxAttempts),
        error: entry.error,
        attempts: entry.attempts,
        deadLetteredAt: new Date(entry.deadLetteredAt),
      } satisfies DeadLetter,
    }));
  return {
    async list(queue, filter) {
      const limit = filter?.limit ?? 100;
      const offset = filter?.offset ?? 0;
      return view(queue, stateOf(queue))
        .filter((v) => matches(v.deadLetter, filter))
        .slice(offset, offset + limit)
        .map((v) => v.deadLetter);
    },
    async count(queue) {
      return stateOf(queue).deadLetters.length;
    },
    async inspect(queue, id) {
      return view(queue, stateOf(queue)).find((v) => v.deadLetter.message.id === id)?.deadLetter;
    },
    async replay(queue, filter) {
      const state = stateOf(queue);
      const now = Date.now();
      let replayed = 0;
      for (const { entry, deadLetter } of view(queue, state)) {
        if (!matches(deadLetter, filter) || state.has(entry.record.id)) continue;
        const { record } = entry;
        const fresh = state.create({
          id: record.id,
          type: record.type,
          body: record.body,
          createdAt: record.createdAt,
          runAt: now,
          partitionKey: record.partitionKey,
          headers: record.headers,
          maxAttempts: record.maxAttempts,
          priority: record.priority,
        });
        state.add(fresh, now);
        state.deadLetters.splice(state.deadLetters.indexOf(entry), 1);
        replayed++;
      }
      if (replayed > 0) state.wake();
      return replayed;
    },
    async purge(queue, filter) {
      const state = stateOf(queue);
      let purged = 0;
      for (const { entry, deadLetter } of view(queue, state)) {
        if (!matches(deadLetter, filter)) continue;
        state.deadLetters.splice(state.deadLetters.indexOf(entry), 1);
        purged++;
      }
      return purged;
    },
  };
}

/**
 * Creates an in-process queue with the full mqkit semantics: delays, priority, per-key ordering,
 * deduplication, leases with heartbeat and redelivery, retries, dead letters and lifecycle events.
 * Messages live in memory only: they are lost when the process exits.
 */
export function createMemoryQueue<M extends PayloadMap = PayloadMap>(
  options?: MemoryQueueOptions,
): MemoryQueue<M> {
  const resolved = resolveQueueOptions(options, PROVIDER, ['store', 'immediate'], {
    maxMessageBytes: 1_048_576,
  });
  const store = options?.store ?? createMemoryStore();
  const immediate = new Checker(PROVIDER).boolean(options?.immediate, 'immediate', false);
  const customIds = options?.generateId !== undefined;
  const { logger, lifecycle, serializer } = resolved;
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle });
  const prepareContext = {
    provider: PROVIDER,
    capabilities: memoryCapabilities,
    serializer,
    maxMessageBytes: resolved.maxMessageBytes,
  };

  const stateOf = (queue: string): QueueState =>
    store.state(qualifyQueueName(resolved.namespace, queue));

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const prepared = prepareMessages(input, prepareContext);
    const state = stateOf(queue);
    const now = Date.now();
    const ids = new Array<string>(prepared.length);
    const waits: Promise<void>[] = [];
    // Never wait inside a handler: a handler publishing to its own queue would wait for a
    // concurrency slot that it holds itself.
    const waitForOutcome =
      immediate && state.activeConsumers > 0 && insideHandler.getStore() !== true;
    const stored: { id: string; type: string }[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as (typeof prepared)[number];
      // Our UUIDs cannot collide, so only caller-chosen ids (or a custom generator's) are deduplicated.
      const explicitId = p.id !== undefined || customIds;
      const id = p.id ?? resolved.generateId();
      ids[i] = id;
      const record = state.create({
        id,
        type: p.type,
        body: p.body,
        createdAt: now,
        runAt: now + p.delayMs,
        partitionKey: p.partitionKey,
        headers: p.headers,
        maxAttempts: p.maxAttempts,
        priority: p.priority,
      });
      if (!state.add(record, now, explicitId)) continue;
      if (lifecycle.active) stored.push({ id, type: p.type });
      if (waitForOutcome && p.delayMs === 0) {
        waits.push(
          new Promise<void>((resolve) => {
            record.onSettled = [resolve];
          }),
        );
      }
    }
    state.wake();
    logger.debug(
      resolved.logPayloads
        ? { queue, ids, payloads: prepared.map((p) => p.body) }
        : { queue, count: ids.length },
      'published',
    );
    // Deduplicated inputs were not stored: they are not "published" for metrics.
    if (lifecycle.active && stored.length > 0) {
      lifecycle.emit({ type: 'published', provider: PROVIDER, queue, messages: stored });
    }
    if (waits.length > 0) await Promise.all(waits);
    return { ids };
  }

  function consume(
    queue: string,
    handler: Handler<MessageOf<M>>,
    consumeOptions?: ConsumeOptions,
  ): Consumer {
    const run = handler as Handler;
    return consumers.start(
      queue,
      immediate ? (messages, ctx) => insideHandler.run(true, () => run(messages, ctx)) : run,
      consumeOptions,
      (options) => {
        const state = stateOf(queue);
        state.activeConsumers++;
        return {
          backend: memoryBackend(state, queue, serializer, options.retry.maxAttempts),
          onStopped: () => void state.activeConsumers--,
        };
      },
    );
  }

  async function stats(queue: string): Promise<QueueStats> {
    consumers.assertUsable(queue);
    const now = Date.now();
    return toQueueStats(queue, stateOf(queue).counts(now), now);
  }

  function health(options?: HealthOptions): Promise<HealthReport> {
    // The store is this process's memory: it always answers.
    return checkHealth({
      provider: PROVIDER,
      options,
      ping: () => Promise.resolve(),
      consumers: consumers.health,
    });
  }

  return {
    provider: PROVIDER,
    capabilities: memoryCapabilities,
    store,
    stats,
    health,
    publish: publish as MemoryQueue<M>['publish'],
    consume,
    deadLetters: deadLetterStore(store, resolved) as unknown as DeadLetterStore<MessageOf<M>>,
    close: consumers.close,
  };
}

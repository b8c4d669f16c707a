import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  Capabilities,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterStore,
  Handler,
  Headers,
  HealthOptions,
  HealthReport,
  MessageOf,
  MessageQueue,
  PayloadMap,
  PeekOptions,
  PublishInput,
  PublishResult,
  QueueOptions,
  QueueStats,
} from '@mqkit/core';
import { consumeDefaults } from '@mqkit/core';
import {
  assertQueueName,
  Checker,
  type Claim,
  type ConsumerBackend,
  checkHealth,
  createConsumerRegistry,
  createPublishKit,
  decodeEnvelopeLenient,
  namesInNamespace,
  type Outcomes,
  qualifyQueueName,
  type ResolvedQueueOptions,
  resolveDeadLetterFilter,
  resolvePeekOptions,
  resolveQueueOptions,
  selectDeadLetters,
  toQueueStats,
} from '@mqkit/core/provider';
import { createMemoryStore, type MemoryStore, MemoryStoreImpl } from './memory-store.js';
import type { QueueState, StoredMessage } from './store.js';

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

/**
 * A stored record as a claim: its envelope plus lease token. What a delivery fixes (token,
 * attempt, due time) is copied; what publish fixed for good (id, type, body, key, priority,
 * headers) is read from the record, not copied into every claim: at a million messages per
 * second the copies cost more than the reads.
 */
class MemoryClaim implements Claim {
  readonly token: number;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly createdAt: Date;
  readonly runAt: Date;

  constructor(
    readonly record: StoredMessage,
    defaultMaxAttempts: number,
  ) {
    this.token = record.token;
    this.attempt = record.attempt;
    this.maxAttempts = record.maxAttempts ?? defaultMaxAttempts;
    // Fresh Dates per delivery: caching them on the long-lived record writes young objects into
    // old ones, which costs the garbage collector more than the allocation. One Date serves both
    // fields when the message was due at once (the common case).
    this.createdAt = new Date(record.createdAt);
    this.runAt = record.runAt === record.createdAt ? this.createdAt : new Date(record.runAt);
  }

  get id(): string {
    return this.record.id;
  }
  get type(): string {
    return this.record.type;
  }
  get body(): string {
    return this.record.body;
  }
  get partitionKey(): string | undefined {
    return this.record.partitionKey;
  }
  get priority(): number {
    return this.record.priority;
  }
  get headers(): Headers {
    return this.record.headers;
  }
}

/** A stored record as a claim (its envelope plus lease token). */
function claimOf(record: StoredMessage, defaultMaxAttempts: number): MemoryClaim {
  return new MemoryClaim(record, defaultMaxAttempts);
}

function memoryBackend(
  state: QueueState,
  defaultMaxAttempts: number,
): ConsumerBackend<MemoryClaim> {
  return {
    claim(limit, leaseMs) {
      const records = state.claim(limit, leaseMs, Date.now());
      const claims = new Array<MemoryClaim>(records.length);
      for (let i = 0; i < records.length; i++)
        claims[i] = claimOf(records[i] as StoredMessage, defaultMaxAttempts);
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
        state.deadLetter(d.claim.record, d.claim.token, d.error, d.claim.maxAttempts, now);
      for (const c of outcomes.released) state.release(c.record, c.token, now);
      state.wake();
      return Promise.resolve();
    },
    waitForWork(timeoutMs, signal) {
      return state.wait(timeoutMs, signal, Date.now());
    },
  };
}

function deadLetterStore<M extends PayloadMap>(
  store: MemoryStoreImpl,
  options: ResolvedQueueOptions,
): DeadLetterStore<MessageOf<M>> {
  const stateOf = (queue: string): QueueState => {
    assertQueueName(queue, PROVIDER);
    return store.state(qualifyQueueName(options.namespace, queue));
  };
  type Entry = QueueState['deadLetters'][number];
  const view = (queue: string, entry: Entry): DeadLetter<MessageOf<M>> => ({
    // A payload the serializer cannot read (a poison message) is shown as its stored text.
    message: decodeEnvelopeLenient(
      claimOf(entry.record, entry.maxAttempts),
      queue,
      options.serializer,
    ) as MessageOf<M>,
    error: entry.error,
    attempts: entry.attempts,
    deadLetteredAt: new Date(entry.deadLetteredAt),
  });
  /** The entries of `queue` that `filter` selects, with their views, oldest first. */
  const select = (
    queue: string,
    state: QueueState,
    filter: unknown,
    verb: 'list' | 'replay' | 'purge',
  ) => {
    const resolved = resolveDeadLetterFilter<DeadLetter<MessageOf<M>>>(filter, PROVIDER, verb);
    const entries = new Map<DeadLetter<MessageOf<M>>, Entry>();
    for (const entry of state.deadLetters) entries.set(view(queue, entry), entry);
    const chosen = selectDeadLetters([...entries.keys()], resolved, {
      matchAll: true,
      page: verb === 'list',
    });
    return chosen.map((deadLetter) => ({ deadLetter, entry: entries.get(deadLetter) as Entry }));
  };
  return {
    async list(queue, filter) {
      const state = stateOf(queue);
      return select(queue, state, filter, 'list').map((v) => v.deadLetter);
    },
    async count(queue) {
      return stateOf(queue).deadLetters.length;
    },
    async inspect(queue, id) {
      const state = stateOf(queue);
      const entry = state.deadLetters.find((e) => e.record.id === id);
      return entry === undefined ? undefined : view(queue, entry);
    },
    async replay(queue, filter) {
      const state = stateOf(queue);
      const now = Date.now();
      let replayed = 0;
      for (const { entry } of select(queue, state, filter, 'replay')) {
        if (state.has(entry.record.id)) continue;
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
      for (const { entry } of select(queue, state, filter, 'purge')) {
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
  const resolved = resolveQueueOptions(options, PROVIDER, ['store', 'immediate']);
  const given = options?.store ?? createMemoryStore();
  if (!(given instanceof MemoryStoreImpl))
    throw new Checker(PROVIDER).error('store', 'must come from createMemoryStore()');
  const store: MemoryStoreImpl = given;
  const immediate = new Checker(PROVIDER).boolean(options?.immediate, 'immediate', false);
  const customIds = options?.generateId !== undefined;
  const { logger, lifecycle, serializer } = resolved;
  const consumers = createConsumerRegistry({ provider: PROVIDER, logger, lifecycle, serializer });
  const publisher = createPublishKit({
    provider: PROVIDER,
    capabilities: memoryCapabilities,
    options: resolved,
    customIds,
  });

  const stateOf = (queue: string): QueueState =>
    store.state(qualifyQueueName(resolved.namespace, queue));

  async function publish(
    queue: string,
    input: PublishInput | readonly PublishInput[],
  ): Promise<PublishResult> {
    consumers.assertUsable(queue);
    const { prepared, ids } = publisher.prepare(queue, input);
    const state = stateOf(queue);
    const now = Date.now();
    const waits: Promise<void>[] = [];
    // Never wait inside a handler: a handler publishing to its own queue would wait for a
    // concurrency slot that it holds itself.
    const waitForOutcome =
      immediate && state.activeConsumers > 0 && insideHandler.getStore() !== true;
    // Deduplicated inputs are not stored: they are not "published" for metrics.
    let stored: number[] | undefined;
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as (typeof prepared)[number];
      // Our UUIDs cannot collide, so only caller-chosen ids (or a custom generator's) are deduplicated.
      const explicitId = p.id !== undefined || customIds;
      const id = ids[i] as string;
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
      if (!state.add(record, now, explicitId)) {
        stored ??= Array.from({ length: i }, (_, k) => k);
        continue;
      }
      stored?.push(i);
      if (waitForOutcome && p.delayMs === 0) {
        waits.push(
          new Promise<void>((resolve) => {
            record.onSettled = [resolve];
          }),
        );
      }
    }
    state.wake();
    publisher.done(queue, prepared, ids, stored);
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
      // A non-function handler goes through unwrapped, so that consume() rejects it.
      immediate && typeof run === 'function'
        ? (messages, ctx) => insideHandler.run(true, () => run(messages, ctx))
        : run,
      consumeOptions,
      (options) => {
        const state = stateOf(queue);
        state.activeConsumers++;
        return {
          backend: memoryBackend(state, options.retry.maxAttempts),
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

  async function peek(queue: string, options?: PeekOptions): Promise<MessageOf<M>[]> {
    consumers.assertUsable(queue);
    const limit = resolvePeekOptions(options, PROVIDER);
    const defaultMax = consumeDefaults.retry.maxAttempts;
    return stateOf(queue)
      .peek(limit, Date.now())
      .map((record) => {
        const claim = claimOf(record, defaultMax);
        // A peek shows the attempt a claim would make next, not the one before it.
        const message = decodeEnvelopeLenient(claim, queue, serializer) as MessageOf<M>;
        return { ...message, attempt: record.attempt + 1 };
      });
  }

  async function queues(): Promise<string[]> {
    const names = store.queueNames().filter((name) => {
      const state = store.state(name);
      return state.size > 0 || state.deadLetters.length > 0;
    });
    return namesInNamespace(names, resolved.namespace);
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
    // Nothing to prepare in process: present so a composition root treats every provider alike.
    init: async () => {},
    stats,
    health,
    peek,
    queues,
    publish: publish as MemoryQueue<M>['publish'],
    consume,
    deadLetters: deadLetterStore<M>(store, resolved),
    close: consumers.close,
  };
}

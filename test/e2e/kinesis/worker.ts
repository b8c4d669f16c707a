// One chaos-e2e consumer process: consumes MQKIT_E2E_STREAM with @mqkit/kinesis and records, in
// Redis, every handled record (`<run>:handled`: id|key|n|worker|shard) before its batch is
// acknowledged, the lease and backend events it sees (`<run>:events`) and each GetRecords call
// per shard (`<run>:getrecords:<shard>`: call times), so the test proves from Redis — never from
// in-process counters — what was handled, how often, in what order and by whom. SIGTERM stops it
// gracefully; SIGKILL simply kills it. With MQKIT_E2E_STALL_WAIT_MS (the SIGSTOP case) it also
// counts its handlers in flight (`<run>:inflight:<worker>`), and a handler that finds it was frozen
// waits that long for its abort, recording `handlerAborted` (or `handlerNotAborted`) and the result
// of writing the checkpoint with its stale lease (`staleCheckpointWrite`); every refused checkpoint
// write and every accepted one (`checkpointed`) is recorded too.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import {
  type CheckpointStore,
  createKinesisQueue,
  createRedisCheckpointStore,
  type Lease,
  queueKeys,
} from '../../../packages/kinesis/src/index.js';
import { plainKinesis } from '../../../packages/kinesis/test/support.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const run = env('MQKIT_E2E_RUN');
const worker = env('MQKIT_E2E_WORKER');
const stream = env('MQKIT_E2E_STREAM');
const leaseMs = Number(env('MQKIT_E2E_LEASE_MS', '4000'));
const handlerMs = Number(env('MQKIT_E2E_HANDLER_MS', '10'));
const batchSize = Number(env('MQKIT_E2E_BATCH', '50'));
const stallWaitMs = Number(env('MQKIT_E2E_STALL_WAIT_MS', '0'));

// The record the test reads, kept apart from the client mqkit uses.
const record = new Redis(env('MQKIT_E2E_RECORD_REDIS'), { maxRetriesPerRequest: null });
const redis = new Redis(env('MQKIT_E2E_REDIS'), { maxRetriesPerRequest: 2 });
// Redis chaos (restart, pause) is the point of some runs: connection errors are expected here,
// and what matters is recorded through the lifecycle events below.
redis.on('error', () => {});
record.on('error', () => {});

/** Counts GetRecords per shard: iterators are opaque, so follow them from GetShardIterator on. */
function countingKinesis(endpoint: string): KinesisClient {
  const client = plainKinesis(endpoint);
  const shardOf = new Map<string, string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName;
      const input = args.input as Record<string, string>;
      const sentAt = Date.now();
      const result = await next(args);
      const output = result.output as unknown as Record<string, string | undefined>;
      if (name === 'GetShardIteratorCommand' && output.ShardIterator)
        shardOf.set(output.ShardIterator, input.ShardId as string);
      if (name === 'GetRecordsCommand') {
        const shard = shardOf.get(input.ShardIterator as string) ?? 'unknown';
        shardOf.delete(input.ShardIterator as string);
        if (output.NextShardIterator) shardOf.set(output.NextShardIterator, shard);
        void record.rpush(`${run}:getrecords:${shard}`, String(sentAt));
      }
      return result;
    },
    { step: 'initialize', name: 'e2eGetRecordsCounter' },
  );
  return client;
}

const note = (type: string, fields: Record<string, unknown>) =>
  void record.rpush(`${run}:events`, JSON.stringify({ at: Date.now(), worker, type, ...fields }));

// The default Redis checkpoint store, watched: the lease each shard was last written with (what a
// frozen handler would write with), and every refused write.
const leaseOf = new Map<string, Lease>();
const checkpoints: CheckpointStore = (() => {
  const store = createRedisCheckpointStore(
    redis,
    queueKeys(env('MQKIT_E2E_PREFIX'), undefined, stream),
  );
  return {
    read: (shardId) => store.read(shardId),
    async write(lease, position) {
      leaseOf.set(lease.shardId, lease);
      const result = await store.write(lease, position);
      if (stallWaitMs > 0)
        note(result === undefined ? 'checkpointed' : 'checkpointRefused', {
          lease: lease.shardId,
          fence: lease.fence,
          ...(result === undefined ? {} : { operation: result }),
        });
      return result;
    },
    countAttempt(lease, sequenceNumber, count, delta) {
      leaseOf.set(lease.shardId, lease);
      return store.countAttempt(lease, sequenceNumber, count, delta);
    },
  };
})();

/** The SIGSTOP case: a handler that was frozen mid-way waits for its abort and records it. */
async function afterFreeze(
  shard: string,
  lastSequence: string,
  signal: AbortSignal,
): Promise<void> {
  const aborted = await new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true);
    const timer = setTimeout(() => resolve(false), stallWaitMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!aborted) return note('handlerNotAborted', { lease: shard });
  const reason = signal.reason as Error;
  note('handlerAborted', { lease: shard, operation: reason.name });
  const lease = leaseOf.get(shard);
  const result = lease ? await checkpoints.write(lease, lastSequence) : 'no lease seen';
  note('staleCheckpointWrite', {
    lease: shard,
    fence: lease?.fence,
    operation: result ?? 'accepted',
  });
  throw reason;
}

const queue = createKinesisQueue({
  kinesis: countingKinesis(env('MQKIT_E2E_KINESIS')),
  redis,
  keyPrefix: env('MQKIT_E2E_PREFIX'),
  logger: pino({ level: process.env.MQKIT_E2E_LOG ?? 'silent' }),
  consumer: { rebalanceDampingMs: 1_000, shardRefreshIntervalMs: 1_000 },
  checkpointStore: () => checkpoints,
  lifecycle: {
    name: 'e2e',
    onEvent(e) {
      if (
        e.type === 'leaseAcquired' ||
        e.type === 'leaseLost' ||
        e.type === 'leaseReleased' ||
        e.type === 'backendError'
      )
        void record.rpush(
          `${run}:events`,
          JSON.stringify({
            at: Date.now(),
            worker,
            type: e.type,
            ...('lease' in e ? { lease: e.lease } : {}),
            ...('operation' in e ? { operation: e.operation, error: e.error.message } : {}),
          }),
        );
    },
  },
});

const consumer = queue.consume(
  stream,
  async (messages, ctx) => {
    const started = Date.now();
    const inflight = `${run}:inflight:${worker}`;
    if (stallWaitMs > 0) await record.incr(inflight);
    try {
      await new Promise((resolve) => setTimeout(resolve, handlerMs));
      const last = messages[messages.length - 1]?.meta;
      // Frozen (SIGSTOP) while in flight: the timer fired long after it was due.
      if (stallWaitMs > 0 && Date.now() - started > handlerMs + 1_000 && last)
        await afterFreeze(String(last.shardId), String(last.sequenceNumber), ctx.signal);
    } finally {
      if (stallWaitMs > 0) await record.decr(inflight);
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
    await record.rpush(
      `${run}:handled`,
      ...messages.map((m) => {
        const p = m.payload as { key: string; n: number };
        return `${m.id}|${p.key}|${p.n}|${worker}|${m.meta?.shardId ?? ''}`;
      }),
    );
  },
  {
    batchSize,
    // One batch in flight per shard: 8 slots cover every shard an instance owns here.
    concurrency: 8,
    visibilityTimeoutMs: leaseMs,
    heartbeatIntervalMs: Math.floor(leaseMs / 4),
    pollIntervalMs: 200,
    minPollIntervalMs: 50,
  },
);
void record.hset(`${run}:workers`, worker, consumer.id);
process.send?.({ consumerId: consumer.id });

process.on('SIGTERM', () => {
  void (async () => {
    await queue.close({ timeoutMs: 5_000 });
    record.disconnect();
    process.exit(0);
  })();
});

// One chaos-e2e consumer process: consumes MQKIT_E2E_STREAM with @mqkit/kinesis and records, in
// Redis, every handled record (`<run>:handled`: id|key|n|worker|shard) before its batch is
// acknowledged, the lease and backend events it sees (`<run>:events`) and each GetRecords call
// per shard (`<run>:getrecords:<shard>`: call times), so the test proves from Redis — never from
// in-process counters — what was handled, how often, in what order and by whom. SIGTERM stops it
// gracefully; SIGKILL simply kills it.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKinesisQueue } from '../../../packages/kinesis/src/index.js';
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

const queue = createKinesisQueue({
  kinesis: countingKinesis(env('MQKIT_E2E_KINESIS')),
  redis,
  keyPrefix: env('MQKIT_E2E_PREFIX'),
  logger: pino({ level: process.env.MQKIT_E2E_LOG ?? 'silent' }),
  consumer: { rebalanceDampingMs: 1_000, shardRefreshIntervalMs: 1_000 },
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
    await new Promise((resolve) => setTimeout(resolve, handlerMs));
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

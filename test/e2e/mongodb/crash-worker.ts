// A consumer process for the crash test: claims messages, reports each claimed id on stdout as
// `claimed <id>`, and never finishes a handler, so its messages stay leased (extended by the
// heartbeat) until the parent kills it with SIGKILL. Nothing here gets a chance to clean up.
//
// Environment: MQKIT_TEST_MONGODB_URL, MQKIT_TEST_DB, MQKIT_TEST_QUEUE, MQKIT_TEST_LEASE_MS.
import { createMongoQueue } from '@mqkit/mongodb';
import { MongoClient } from 'mongodb';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`crash-worker: ${name} is required`);
  return value;
};

const client = new MongoClient(env('MQKIT_TEST_MONGODB_URL'));
const mq = createMongoQueue({ client, dbName: env('MQKIT_TEST_DB') });
const leaseMs = Number(env('MQKIT_TEST_LEASE_MS'));

mq.consume(
  env('MQKIT_TEST_QUEUE'),
  (messages) => {
    for (const m of messages) process.stdout.write(`claimed ${m.id} ${m.attempt}\n`);
    return new Promise<void>(() => {});
  },
  {
    concurrency: 4,
    batchSize: 5,
    // Exactly the 20 messages its handlers hold are leased when it dies (no claims held ahead:
    // a prefetched message of a killed consumer would also come back at attempt 2).
    prefetch: 0,
    visibilityTimeoutMs: leaseMs,
    heartbeatIntervalMs: Math.floor(leaseMs / 4),
  },
);
process.stdout.write('consuming\n');

// One crash-loop e2e worker process: consumes MQKIT_E2E_QUEUE with @mqkit/prisma (PostgreSQL or
// MariaDB, MQKIT_E2E_DIALECT) at concurrency 1, appends `<id> <attempt>` to MQKIT_E2E_RECORD
// before it handles a message (a synchronous write: it survives the kill), and SIGKILLs itself on
// a message whose payload says `poison` — the crash loop the test counts.
import { appendFileSync } from 'node:fs';
import { createPrismaQueue } from '../../../packages/prisma/src/index.js';
import { mariadb, postgres } from '../../../packages/prisma/test/databases.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const queueName = env('MQKIT_E2E_QUEUE');
const record = env('MQKIT_E2E_RECORD');
const db = env('MQKIT_E2E_DIALECT') === 'mysql' ? mariadb : postgres;
const prefetch = Number(env('MQKIT_E2E_PREFETCH', '0'));

const prisma = db.client({ max: 2 });
const queue = createPrismaQueue({ prisma });

const consumer = queue.consume(
  queueName,
  async ([message]) => {
    if (message === undefined) return;
    appendFileSync(record, `${message.id} ${message.attempt}\n`);
    if ((message.payload as { poison?: boolean }).poison) process.kill(process.pid, 'SIGKILL');
  },
  {
    concurrency: 1,
    prefetch,
    visibilityTimeoutMs: 1_000,
    minPollIntervalMs: 20,
    pollIntervalMs: 200,
    retry: { maxAttempts: 2 },
  },
);

process.on('SIGTERM', () => {
  void consumer
    .stop({ timeoutMs: 2_000 })
    .then(() => queue.close())
    .then(() => prisma.$disconnect())
    .then(() => process.exit(0));
});
process.send?.({ ready: true });

// One e2e worker process: consumes MQKIT_E2E_QUEUE with @mqkit/prisma on PostgreSQL and records
// every handled message in e2e_handled (id, worker, attempt) before acknowledging it, so the test
// can prove from the database what was handled, how often and by whom. SIGTERM stops it
// gracefully; the SIGKILL case simply dies.
import { createPrismaQueue } from '../../../packages/prisma/src/index.js';
import { postgres } from '../../../packages/prisma/test/databases.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const queueName = env('MQKIT_E2E_QUEUE');
const worker = env('MQKIT_E2E_WORKER');
const concurrency = Number(env('MQKIT_E2E_CONCURRENCY', '50'));
const batchSize = Number(env('MQKIT_E2E_BATCH', '1'));
const visibilityTimeoutMs = Number(env('MQKIT_E2E_LEASE_MS', '30000'));

const prisma = postgres.client({ max: 8 });
const queue = createPrismaQueue({
  prisma,
  listen: { connectionString: postgres.url },
  logger: silentUnlessError(),
});

const consumer = queue.consume(
  queueName,
  async (messages) => {
    await prisma.$executeRawUnsafe(
      'INSERT INTO e2e_handled (queue, id, worker, attempt) SELECT $1, x.id, $2, x.attempt FROM unnest($3::text[], $4::int[]) AS x(id, attempt)',
      queueName,
      worker,
      messages.map((m) => m.id),
      messages.map((m) => m.attempt),
    );
  },
  {
    concurrency,
    batchSize,
    visibilityTimeoutMs,
    retry: { maxAttempts: 50, backoff: { initialMs: 200, maxMs: 1_000 } },
    circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 500 },
  },
);

process.on('SIGTERM', () => {
  void consumer
    .stop({ timeoutMs: 5_000 })
    .then(() => queue.close())
    .then(() => prisma.$disconnect())
    .then(() => process.exit(0));
});
process.send?.({ ready: worker });

function silentUnlessError() {
  const noop = () => undefined;
  const log = (...args: unknown[]) => process.stderr.write(`[${worker}] ${JSON.stringify(args)}\n`);
  const logger = {
    level: 'error',
    trace: noop,
    debug: noop,
    info: noop,
    warn: process.env.MQKIT_E2E_VERBOSE ? log : noop,
    error: log,
    fatal: log,
    child: () => logger,
  };
  return logger;
}

// bench/prisma: @mqkit/prisma vs graphile-worker vs pg-boss on one PostgreSQL, in one run.
// Each system gets its own fresh database (dropped and recreated every run), so none sees the
// others' tables, triggers or NOTIFY traffic. Measures, each as the median of ROUNDS rounds:
//   enqueue — bulk insert of N jobs in one call (mqkit publish(array), graphile addJobs,
//             pg-boss insert);
//   drain   — N no-op jobs, from starting the workers until the last job is handled;
//   wake-up — publish → handler start of 200 single messages into an idle consumer
//             (mqkit and graphile; pg-boss polls, 0.5 s at best, so it is left out).
// Prints a table; the last line is one JSON object (the figures the issue asks for).
import { performance } from 'node:perf_hooks';
import { applyMigrations, createPrismaQueue } from '@mqkit/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import { Logger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { PrismaClient } from '../../packages/prisma/test/generated/postgresql/client/client.js';

const BASE_URL = process.env.MQKIT_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WAKEUPS = Number(process.env.BENCH_WAKEUPS ?? 200);
const MQKIT = {
  batchSize: Number(process.env.BENCH_MQKIT_BATCH ?? 100),
  concurrency: Number(process.env.BENCH_MQKIT_CONCURRENCY ?? 10),
  pool: Number(process.env.BENCH_MQKIT_POOL ?? 10),
};
const GRAPHILE_CONCURRENCY = 50;

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (count: number, ms: number): number => Math.round((count * 1000) / ms);

function urlFor(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return urlFor(name);
}

function waiter(target: number) {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    done,
    add(n: number) {
      count += n;
      if (count >= target) resolve();
    },
  };
}

const jobs = (round: number) =>
  Array.from({ length: N }, (_, i) => ({ round, i, note: 'bench payload' }));

// ---- @mqkit/prisma -----------------------------------------------------------------------

async function benchMqkit() {
  const url = await freshDatabase('mqkit_bench_mqkit');
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: MQKIT.pool }),
  });
  const publisherPrisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: 2 }),
  });
  await applyMigrations(prisma);
  const enqueue: number[] = [];
  const drain: number[] = [];
  const batch1: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const producer = createPrismaQueue({ prisma, logger: silent });
    const queueName = `drain-${round}`;
    const messages = jobs(round).map((payload) => ({ type: 'job', payload }));
    let t = performance.now();
    await producer.publish(queueName, messages);
    enqueue.push(perSecond(N, performance.now() - t));
    const consumerQueue = createPrismaQueue({
      prisma,
      logger: silent,
      listen: { connectionString: url },
    });
    const w = waiter(N);
    t = performance.now();
    consumerQueue.consume(queueName, async (batch) => void w.add(batch.length), {
      batchSize: MQKIT.batchSize,
      concurrency: MQKIT.concurrency,
    });
    await w.done;
    drain.push(perSecond(N, performance.now() - t));
    await consumerQueue.close();
    // The same drain with one message per handler call (batchSize 1, concurrency 50).
    await producer.publish(`${queueName}-b1`, messages);
    const q1 = createPrismaQueue({ prisma, logger: silent });
    const w1 = waiter(N);
    t = performance.now();
    q1.consume(`${queueName}-b1`, async (batch) => void w1.add(batch.length), { concurrency: 50 });
    await w1.done;
    batch1.push(perSecond(N, performance.now() - t));
    await q1.close();
    await producer.close();
  }
  // Wake-up: an idle consumer (its own queue instance and client, woken by NOTIFY only).
  const consumerQueue = createPrismaQueue({
    prisma,
    logger: silent,
    listen: { connectionString: url },
  });
  const publisher = createPrismaQueue({ prisma: publisherPrisma, logger: silent });
  const latencies: number[] = [];
  let sentAt = 0;
  let onStart: (() => void) | undefined;
  consumerQueue.consume('wakeup', async () => {
    latencies.push(performance.now() - sentAt);
    onStart?.();
  });
  await sleep(300);
  for (let i = 0; i < WAKEUPS; i++) {
    const started = new Promise<void>((r) => {
      onStart = r;
    });
    sentAt = performance.now();
    await publisher.publish('wakeup', { type: 'ping', payload: i });
    await started;
    await sleep(20 + Math.random() * 30); // let the consumer go idle again
  }
  await consumerQueue.close();
  await publisher.close();
  await prisma.$disconnect();
  await publisherPrisma.$disconnect();
  return {
    enqueue: median(enqueue),
    drain: median(drain),
    drainBatch1: median(batch1),
    wakeupP50: percentile(latencies, 50),
    wakeupP99: percentile(latencies, 99),
  };
}

// ---- graphile-worker ---------------------------------------------------------------------

async function benchGraphile() {
  const url = await freshDatabase('mqkit_bench_graphile');
  const utils = await makeWorkerUtils({ connectionString: url, logger: graphileSilentLogger() });
  await utils.migrate();
  const enqueue: number[] = [];
  const drain: number[] = [];
  let w = waiter(N);
  let onStart: (() => void) | undefined;
  let sentAt = 0;
  const latencies: number[] = [];
  const taskList = {
    job: async () => {
      w.add(1);
    },
    ping: async () => {
      latencies.push(performance.now() - sentAt);
      onStart?.();
    },
  };
  const options = {
    connectionString: url,
    concurrency: GRAPHILE_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1_000,
    logger: graphileSilentLogger(),
    taskList,
    preset: {
      worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const specs = jobs(round).map((payload) => ({ identifier: 'job', payload }));
    let t = performance.now();
    await utils.addJobs(specs);
    enqueue.push(perSecond(N, performance.now() - t));
    w = waiter(N);
    t = performance.now();
    const runner = await runGraphile(options);
    await w.done;
    drain.push(perSecond(N, performance.now() - t));
    await runner.stop();
  }
  const runner = await runGraphile(options);
  await sleep(300);
  for (let i = 0; i < WAKEUPS; i++) {
    const started = new Promise<void>((r) => {
      onStart = r;
    });
    sentAt = performance.now();
    await utils.addJob('ping', { i });
    await started;
    await sleep(20 + Math.random() * 30);
  }
  await runner.stop();
  await utils.release();
  return {
    enqueue: median(enqueue),
    drain: median(drain),
    wakeupP50: percentile(latencies, 50),
    wakeupP99: percentile(latencies, 99),
  };
}

function graphileSilentLogger(): Logger {
  // graphile-worker's Logger takes a log factory; this one drops everything.
  return new Logger(() => () => undefined);
}

// ---- pg-boss -----------------------------------------------------------------------------

async function benchPgBoss() {
  const url = await freshDatabase('mqkit_bench_pgboss');
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', () => undefined);
  await boss.start();
  const enqueue: number[] = [];
  const drain: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const name = `drain-${round}`;
    await boss.createQueue(name);
    const specs = jobs(round).map((data) => ({ data }));
    let t = performance.now();
    await boss.insert(name, specs);
    enqueue.push(perSecond(N, performance.now() - t));
    const w = waiter(N);
    t = performance.now();
    await boss.work(name, { batchSize: 100, burstWhenBatchFull: true }, async (batch) => {
      w.add(batch.length);
    });
    await w.done;
    drain.push(perSecond(N, performance.now() - t));
    await boss.offWork(name);
  }
  await boss.stop({ graceful: false });
  return { enqueue: median(enqueue), drain: median(drain) };
}

// ---- main --------------------------------------------------------------------------------

const mqkit = await benchMqkit();
const graphile = await benchGraphile();
const pgboss = await benchPgBoss();

const row = (
  name: string,
  enqueue: number | string,
  drain: number | string,
  p50: string,
  p99: string,
) =>
  `| ${name.padEnd(44)} | ${String(enqueue).padStart(12)} | ${String(drain).padStart(12)} | ${p50.padStart(10)} | ${p99.padStart(10)} |`;
const ms = (v: number) => v.toFixed(2);
console.log(
  `\nbench/prisma — ${N} jobs, median of ${ROUNDS} rounds, PostgreSQL ${new URL(BASE_URL).host}\n`,
);
console.log(row('system', 'enqueue/s', 'drain/s', 'wake p50 ms', 'wake p99 ms'));
console.log(row('-'.repeat(44), '-'.repeat(12), '-'.repeat(12), '-'.repeat(10), '-'.repeat(10)));
console.log(
  row(
    `@mqkit/prisma (batch ${MQKIT.batchSize} × conc ${MQKIT.concurrency})`,
    mqkit.enqueue,
    mqkit.drain,
    ms(mqkit.wakeupP50),
    ms(mqkit.wakeupP99),
  ),
);
console.log(row('@mqkit/prisma (batch 1 × conc 50)', '', mqkit.drainBatch1, '', ''));
console.log(
  row(
    `graphile-worker (conc ${GRAPHILE_CONCURRENCY}, localQueue 500)`,
    graphile.enqueue,
    graphile.drain,
    ms(graphile.wakeupP50),
    ms(graphile.wakeupP99),
  ),
);
console.log(
  row(
    'pg-boss (batchSize 100, burstWhenBatchFull)',
    pgboss.enqueue,
    pgboss.drain,
    'polls',
    'polls',
  ),
);
const round2 = (v: number) => Math.round(v * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'prisma',
    enqueue_ratio_vs_graphile: round2(mqkit.enqueue / graphile.enqueue),
    drain_ratio_vs_graphile: round2(mqkit.drain / graphile.drain),
    drain_ratio_vs_pgboss: round2(mqkit.drain / pgboss.drain),
    wakeup_p50_ms: round2(mqkit.wakeupP50),
    wakeup_p99_ms: round2(mqkit.wakeupP99),
  }),
);
process.exit(0);

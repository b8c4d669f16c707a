// bench/prisma: @mqkit/prisma vs graphile-worker vs pg-boss on one PostgreSQL, in one run.
// Each system gets its own fresh database (dropped and recreated every run), so none sees the
// others' tables, triggers or NOTIFY traffic. Measures, each as the median of ROUNDS rounds:
//   enqueue — bulk insert of N jobs in one call (mqkit publish(array), graphile addJobs,
//             pg-boss insert);
//   drain   — N no-op jobs, from starting the workers until the last job is handled;
//   wake-up — publish → handler start of 200 single messages into an idle consumer
//             (mqkit and graphile; pg-boss polls, 0.5 s at best, so it is left out);
//   keyed   — mqkit only: N messages over KEYS partition keys (per-key ordering on), batch 1 ×
//             conc 50 at the default prefetch.
// BENCH_PREFETCH_SWEEP=0,50,100,200 adds mqkit b1 × c50 drains at those prefetch values.
// BENCH_ANALYZE=1 runs ANALYZE on mqkit's table after each (timed) publish: a diagnostic for the
// outcome writes' plans, which depend on the table's statistics (docs/benchmarks-prisma.md).
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WAKEUPS = Number(process.env.BENCH_WAKEUPS ?? 200);
const MQKIT = {
  batchSize: Number(process.env.BENCH_MQKIT_BATCH ?? 100),
  concurrency: Number(process.env.BENCH_MQKIT_CONCURRENCY ?? 10),
  pool: Number(process.env.BENCH_MQKIT_POOL ?? 10),
};
const GRAPHILE_CONCURRENCY = 50;
const KEYS = Number(process.env.BENCH_KEYS ?? 1_000);
const PREFETCH_SWEEP = (process.env.BENCH_PREFETCH_SWEEP ?? '')
  .split(',')
  .filter((v) => v.trim() !== '')
  .map(Number);

const ANALYZE_AFTER_PUBLISH = process.env.BENCH_ANALYZE === '1';
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

// Several engineers bench on one server: every run owns its databases (suffixed with this
// process's id) and drops them at the end, so it never drops another run's.
const RUN_SUFFIX = `_${process.pid}`;
const created = new Set<string>();

async function freshDatabase(base: string): Promise<string> {
  const name = `${base}${RUN_SUFFIX}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  created.add(name);
  return urlFor(name);
}

async function dropCreatedDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
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

interface Contender {
  /** One enqueue + drain round; resolves to msgs/s figures. */
  round(round: number): Promise<Record<string, number>>;
  /** Publish → handler start latencies in ms, or undefined when not measured. */
  wakeups(): Promise<number[] | undefined>;
  close(): Promise<void>;
}

async function measureWakeups(
  publish: (i: number) => Promise<unknown>,
  started: { set: (fn: () => void) => void },
  latencies: number[],
  sentAt: { value: number },
): Promise<number[]> {
  await sleep(300);
  for (let i = 0; i < WAKEUPS; i++) {
    const handled = new Promise<void>((r) => started.set(r));
    sentAt.value = performance.now();
    await publish(i);
    await handled;
    await sleep(20 + Math.random() * 30); // let the consumer go idle again
  }
  return latencies;
}

// ---- @mqkit/prisma -----------------------------------------------------------------------

async function mqkitContender(): Promise<Contender> {
  const url = await freshDatabase('mqkit_bench_mqkit');
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: MQKIT.pool }),
  });
  const publisherPrisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: 2 }),
  });
  await applyMigrations(prisma);
  const producer = createPrismaQueue({ prisma, logger: silent });
  const analyzed = async () => {
    if (ANALYZE_AFTER_PUBLISH) await prisma.$executeRawUnsafe('ANALYZE "mqkit_messages"');
  };
  return {
    async round(round) {
      const queueName = `drain-${round}`;
      const messages = jobs(round).map((payload) => ({ type: 'job', payload }));
      let t = performance.now();
      await producer.publish(queueName, messages);
      const enqueue = perSecond(N, performance.now() - t);
      await analyzed();
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
      const drain = perSecond(N, performance.now() - t);
      await consumerQueue.close();
      // The same drain with one message per handler call (batchSize 1, concurrency 50).
      await producer.publish(`${queueName}-b1`, messages);
      await analyzed();
      const q1 = createPrismaQueue({ prisma, logger: silent });
      const w1 = waiter(N);
      t = performance.now();
      q1.consume(`${queueName}-b1`, async (batch) => void w1.add(batch.length), {
        concurrency: 50,
      });
      await w1.done;
      const drainBatch1 = perSecond(N, performance.now() - t);
      await q1.close();
      // The keyed workload: N messages over KEYS partition keys, one in flight per key.
      await producer.publish(
        `${queueName}-keyed`,
        messages.map((m, i) => ({ ...m, partitionKey: `key-${i % KEYS}` })),
      );
      await analyzed();
      const qk = createPrismaQueue({ prisma, logger: silent });
      const wk = waiter(N);
      t = performance.now();
      qk.consume(`${queueName}-keyed`, async (batch) => void wk.add(batch.length), {
        concurrency: 50,
      });
      await wk.done;
      const drainKeyed = perSecond(N, performance.now() - t);
      await qk.close();
      const sweep: Record<string, number> = {};
      for (const prefetch of PREFETCH_SWEEP) {
        await producer.publish(`${queueName}-sweep-${prefetch}`, messages);
        await analyzed();
        const qs = createPrismaQueue({ prisma, logger: silent });
        const ws = waiter(N);
        t = performance.now();
        qs.consume(`${queueName}-sweep-${prefetch}`, async (batch) => void ws.add(batch.length), {
          concurrency: 50,
          prefetch,
        });
        await ws.done;
        sweep[`prefetch${prefetch}`] = perSecond(N, performance.now() - t);
        await qs.close();
      }
      // And with 200 messages claimed ahead of free slots (prefetch), so a finishing handler's
      // slot is refilled without waiting for a claim round trip.
      await producer.publish(`${queueName}-p1`, messages);
      await analyzed();
      const q2 = createPrismaQueue({ prisma, logger: silent });
      const w2 = waiter(N);
      t = performance.now();
      q2.consume(`${queueName}-p1`, async (batch) => void w2.add(batch.length), {
        concurrency: 50,
        prefetch: 200,
      });
      await w2.done;
      const drainBatch1Prefetch = perSecond(N, performance.now() - t);
      await q2.close();
      return { enqueue, drain, drainBatch1, drainBatch1Prefetch, drainKeyed, ...sweep };
    },
    async wakeups() {
      // An idle consumer with its own queue instance and client: only NOTIFY can wake it.
      const consumerQueue = createPrismaQueue({
        prisma,
        logger: silent,
        listen: { connectionString: url },
      });
      const publisher = createPrismaQueue({ prisma: publisherPrisma, logger: silent });
      const latencies: number[] = [];
      const sentAt = { value: 0 };
      let onStart: (() => void) | undefined;
      consumerQueue.consume('wakeup', async () => {
        latencies.push(performance.now() - sentAt.value);
        onStart?.();
      });
      await measureWakeups(
        (i) => publisher.publish('wakeup', { type: 'ping', payload: i }),
        {
          set: (fn) => {
            onStart = fn;
          },
        },
        latencies,
        sentAt,
      );
      await consumerQueue.close();
      await publisher.close();
      return latencies;
    },
    async close() {
      await producer.close();
      await prisma.$disconnect();
      await publisherPrisma.$disconnect();
    },
  };
}

// ---- graphile-worker ---------------------------------------------------------------------

async function graphileContender(): Promise<Contender> {
  const url = await freshDatabase('mqkit_bench_graphile');
  const utils = await makeWorkerUtils({ connectionString: url, logger: graphileSilentLogger() });
  await utils.migrate();
  let w = waiter(N);
  let onStart: (() => void) | undefined;
  const sentAt = { value: 0 };
  const latencies: number[] = [];
  const taskList = {
    job: async () => {
      w.add(1);
    },
    ping: async () => {
      latencies.push(performance.now() - sentAt.value);
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
  return {
    async round(round) {
      const specs = jobs(round).map((payload) => ({ identifier: 'job', payload }));
      let t = performance.now();
      await utils.addJobs(specs);
      const enqueue = perSecond(N, performance.now() - t);
      w = waiter(N);
      t = performance.now();
      const runner = await runGraphile(options);
      await w.done;
      const drain = perSecond(N, performance.now() - t);
      await runner.stop();
      return { enqueue, drain };
    },
    async wakeups() {
      const runner = await runGraphile(options);
      await measureWakeups(
        (i) => utils.addJob('ping', { i }),
        {
          set: (fn) => {
            onStart = fn;
          },
        },
        latencies,
        sentAt,
      );
      await runner.stop();
      return latencies;
    },
    async close() {
      await utils.release();
    },
  };
}

function graphileSilentLogger(): Logger {
  // graphile-worker's Logger takes a log factory; this one drops everything.
  return new Logger(() => () => undefined);
}

// ---- pg-boss -----------------------------------------------------------------------------

async function pgBossContender(): Promise<Contender> {
  const url = await freshDatabase('mqkit_bench_pgboss');
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', () => undefined);
  await boss.start();
  return {
    async round(round) {
      const name = `drain-${round}`;
      await boss.createQueue(name);
      const specs = jobs(round).map((data) => ({ data }));
      let t = performance.now();
      await boss.insert(name, specs);
      const enqueue = perSecond(N, performance.now() - t);
      const w = waiter(N);
      t = performance.now();
      await boss.work(name, { batchSize: 100, burstWhenBatchFull: true }, async (batch) => {
        w.add(batch.length);
      });
      await w.done;
      const drain = perSecond(N, performance.now() - t);
      await boss.offWork(name);
      return { enqueue, drain };
    },
    async wakeups() {
      return undefined; // pg-boss polls (≥ 0.5 s): not a wake-up figure
    },
    async close() {
      await boss.stop({ graceful: false });
    },
  };
}

// ---- main --------------------------------------------------------------------------------

// Rounds are interleaved (mqkit, graphile, pg-boss, mqkit, …) so that load from elsewhere on a
// shared machine spreads over all three instead of landing on one.
const contenders = {
  mqkit: await mqkitContender(),
  graphile: await graphileContender(),
  pgboss: await pgBossContender(),
};
const results: Record<keyof typeof contenders, Record<string, number[]>> = {
  mqkit: {},
  graphile: {},
  pgboss: {},
};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(contenders) as (keyof typeof contenders)[]) {
    const figures = await contenders[name].round(round);
    for (const [key, value] of Object.entries(figures)) {
      const list = results[name][key] ?? [];
      list.push(value);
      results[name][key] = list;
    }
  }
}
const med = (name: keyof typeof contenders, key: string) => median(results[name][key] ?? [0]);
const mqkitWake = (await contenders.mqkit.wakeups()) ?? [0];
const graphileWake = (await contenders.graphile.wakeups()) ?? [0];
for (const c of Object.values(contenders)) await c.close();
const mqkit = {
  enqueue: med('mqkit', 'enqueue'),
  drain: med('mqkit', 'drain'),
  drainBatch1: med('mqkit', 'drainBatch1'),
  drainBatch1Prefetch: med('mqkit', 'drainBatch1Prefetch'),
  drainKeyed: med('mqkit', 'drainKeyed'),
  wakeupP50: percentile(mqkitWake, 50),
  wakeupP99: percentile(mqkitWake, 99),
};
const graphile = {
  enqueue: med('graphile', 'enqueue'),
  drain: med('graphile', 'drain'),
  wakeupP50: percentile(graphileWake, 50),
  wakeupP99: percentile(graphileWake, 99),
};
const pgboss = { enqueue: med('pgboss', 'enqueue'), drain: med('pgboss', 'drain') };

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
console.log(row('@mqkit/prisma (batch 1 × conc 50, defaults)', '', mqkit.drainBatch1, '', ''));
console.log(row('@mqkit/prisma (b1 × c50, prefetch 200)', '', mqkit.drainBatch1Prefetch, '', ''));
console.log(row(`@mqkit/prisma (b1 × c50, ${KEYS} keys, ordered)`, '', mqkit.drainKeyed, '', ''));
for (const prefetch of PREFETCH_SWEEP)
  console.log(
    row(
      `@mqkit/prisma (b1 × c50, prefetch ${prefetch})`,
      '',
      med('mqkit', `prefetch${prefetch}`),
      '',
      '',
    ),
  );
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
    drain_b1_ratio_vs_graphile: round2(mqkit.drainBatch1 / graphile.drain),
    drain_b1_per_s: mqkit.drainBatch1,
    drain_keyed_per_s: mqkit.drainKeyed,
    wakeup_p50_ms: round2(mqkit.wakeupP50),
    wakeup_p99_ms: round2(mqkit.wakeupP99),
  }),
);
await dropCreatedDatabases();
process.exit(0);

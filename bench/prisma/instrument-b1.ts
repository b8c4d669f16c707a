// bench/prisma/instrument-b1.ts: where does a batch-1 × concurrency-50 drain spend its time?
// A driver, not a test: drains N no-op messages through the built @mqkit/prisma with every SQL
// call of the consumer's PrismaClient timed (claims, acks, heartbeats), every handler start
// stamped, and prints per-statement counts/sizes/latencies and a time split of the drain:
// claim only in flight, outcome write only in flight, both, neither.
// Run: cd bench && npx tsx prisma/instrument-b1.ts   (BENCH_MESSAGES, BENCH_ROUNDS, BENCH_PREFETCH,
// BENCH_BATCH, BENCH_CONCURRENCY; INSTR_ANALYZE=1 analyzes the table after publishing,
// INSTR_AB=1 alternates migration 003's and 004's claim functions by round, INSTR_TRACE=1 lists
// every claim and ack, INSTR_ASYNC_COMMIT=1 sets synchronous_commit = off on the run's database, INSTR_PROFILE=<dir>
// writes a CPU profile of each round's drain there).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { applyMigrations, createPrismaQueue, migrationStatements } from '@mqkit/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../packages/prisma/test/generated/postgresql/client/client.js';

const BASE_URL = process.env.MQKIT_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PREFETCH =
  process.env.BENCH_PREFETCH === undefined ? undefined : Number(process.env.BENCH_PREFETCH);
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

interface Call {
  kind: string;
  start: number;
  end: number;
  size: number;
  rows: number;
}

function kindOf(sql: string): string {
  if (sql.includes('_claim_in_order')) return 'claim';
  if (sql.startsWith('DELETE') || sql.includes('_ack"(')) return 'ack';
  if (sql.includes('SET lease_until')) return 'extend';
  if (sql.startsWith('INSERT') || sql.startsWith('WITH ins')) return 'insert';
  return 'other';
}

function instrument(prisma: PrismaClient, calls: Call[]): void {
  const p = prisma as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const method of ['$queryRawUnsafe', '$executeRawUnsafe']) {
    const original = (p[method] as (...a: unknown[]) => Promise<unknown>).bind(prisma);
    p[method] = async (...args: unknown[]) => {
      const sql = String(args[0]);
      const kind = kindOf(sql);
      const start = performance.now();
      const result = await original(...args);
      const end = performance.now();
      let size = 0;
      if (kind === 'claim') size = Number(args[2]);
      else if (kind === 'ack' || kind === 'extend') size = (args[2] as unknown[]).length;
      const rows = Array.isArray(result) ? result.length : Number(result);
      calls.push({ kind, start, end, size, rows });
      return result;
    };
  }
}

import { readFileSync } from 'node:fs';

/** CPU ms used so far by the PostgreSQL backends serving `db` (from /proc; Linux only). */
async function backendCpuMs(client: pg.Client, db: string): Promise<number> {
  const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
  let ticks = 0;
  for (const { pid } of rows as { pid: number }[]) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks * 10;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

function summarise(calls: Call[], starts: number[], t0: number, t1: number): void {
  const total = t1 - t0;
  for (const kind of ['claim', 'ack', 'extend']) {
    const cs = calls.filter((c) => c.kind === kind && c.end >= t0 && c.start <= t1);
    if (cs.length === 0) continue;
    const lat = cs.map((c) => c.end - c.start);
    const rows = cs.map((c) => c.rows);
    const sizes = cs.map((c) => c.size);
    console.log(
      `  ${kind.padEnd(6)} n=${cs.length} asked p50/max=${pct(sizes, 50)}/${Math.max(...sizes)}` +
        ` rows p10/p50/p90=${pct(rows, 10)}/${pct(rows, 50)}/${pct(rows, 90)}` +
        ` ms p50/p90/max=${r1(pct(lat, 50))}/${r1(pct(lat, 90))}/${r1(Math.max(...lat))}` +
        ` busy=${r1((100 * lat.reduce((a, b) => a + b, 0)) / total)}%`,
    );
  }
  if (process.env.INSTR_TRACE === '1')
    for (const c of calls
      .filter((x) => x.kind === 'claim' || x.kind === 'ack')
      .sort((a, b) => a.start - b.start))
      console.log(
        `    ${c.kind} ${r1(c.start - t0)}..${r1(c.end - t0)} asked ${c.size} rows ${c.rows}`,
      );
  // 0.1 ms bins: what was in flight.
  const bins = Math.ceil(total * 10);
  const claimIn = new Uint8Array(bins);
  const ackIn = new Uint8Array(bins);
  for (const c of calls) {
    const a = Math.max(0, Math.floor((c.start - t0) * 10));
    const b = Math.min(bins, Math.ceil((c.end - t0) * 10));
    const arr = c.kind === 'claim' ? claimIn : c.kind === 'ack' ? ackIn : undefined;
    if (arr) for (let i = a; i < b; i++) arr[i] = 1;
  }
  let both = 0;
  let claimOnly = 0;
  let ackOnly = 0;
  let neither = 0;
  for (let i = 0; i < bins; i++) {
    if (claimIn[i] && ackIn[i]) both++;
    else if (claimIn[i]) claimOnly++;
    else if (ackIn[i]) ackOnly++;
    else neither++;
  }
  const share = (x: number) => `${r1((100 * x) / bins)}%`;
  console.log(
    `  time: claim+ack ${share(both)}, claim only ${share(claimOnly)}, ack only ${share(ackOnly)}, neither ${share(neither)}`,
  );
  // Handler starts per 10 ms window, and the gaps between starts.
  const sorted = [...starts].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++)
    gaps.push((sorted[i] as number) - (sorted[i - 1] as number));
  const bigGaps = gaps.filter((g) => g > 1);
  console.log(
    `  handler starts: ${sorted.length}; gaps > 1 ms: ${bigGaps.length}, total ${r1(bigGaps.reduce((a, b) => a + b, 0))} ms of ${r1(total)} ms`,
  );
  // In each gap > 1 ms, which statements were in flight at the gap's middle.
  let gapClaim = 0;
  let gapAck = 0;
  let gapBoth = 0;
  let gapNone = 0;
  for (let i = 1; i < sorted.length; i++) {
    const g = (sorted[i] as number) - (sorted[i - 1] as number);
    if (g <= 1) continue;
    const mid = ((sorted[i] as number) + (sorted[i - 1] as number)) / 2;
    const c = calls.some((x) => x.kind === 'claim' && x.start <= mid && x.end >= mid);
    const a = calls.some((x) => x.kind === 'ack' && x.start <= mid && x.end >= mid);
    if (c && a) gapBoth += g;
    else if (c) gapClaim += g;
    else if (a) gapAck += g;
    else gapNone += g;
  }
  console.log(
    `  stalled time by what was in flight: claim+ack ${r1(gapBoth)} ms, claim ${r1(gapClaim)} ms, ack ${r1(gapAck)} ms, none ${r1(gapNone)} ms`,
  );
}

const dbName = `mqkit_instr_${process.pid}`;
const admin = new pg.Client({ connectionString: BASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
if (process.env.INSTR_ASYNC_COMMIT === '1')
  await admin.query(`ALTER DATABASE "${dbName}" SET synchronous_commit = off`);
const url = new URL(BASE_URL);
url.pathname = `/${dbName}`;
const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: url.toString(), max: 10 }),
});
try {
  await applyMigrations(prisma);
  const producer = createPrismaQueue({ prisma, logger: silent });
  const messages = Array.from({ length: N }, (_, i) => ({
    type: 'job',
    payload: { i, note: 'bench payload' },
  }));
  const calls: Call[] = [];
  instrument(prisma, calls);
  // INSTR_AB=1: even rounds claim with migration 003's claim function, odd rounds with 004's
  // (interleaved, so both see the same load).
  const claimFunction = async (file: '003_publish_order_and_keys.sql' | '004_claim_plan.sql') => {
    const statements = await migrationStatements('postgresql', file);
    const fn = statements.find((x) => x.includes('FUNCTION "mqkit_messages_claim_in_order"'));
    if (fn !== undefined) await prisma.$executeRawUnsafe(fn);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const queue = `b1-${round}`;
    if (process.env.INSTR_AB === '1') {
      const file = round % 2 === 0 ? '003_publish_order_and_keys.sql' : '004_claim_plan.sql';
      await claimFunction(file);
      console.log(`claim function of ${file}`);
    }
    await producer.publish(queue, messages);
    // INSTR_ANALYZE=1: statistics that know the table is full (the outcome writes' plans need them).
    if (process.env.INSTR_ANALYZE === '1')
      await prisma.$executeRawUnsafe('ANALYZE "mqkit_messages"');
    calls.length = 0;
    const starts: number[] = [];
    let count = 0;
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const q = createPrismaQueue({ prisma, logger: silent });
    const pg0 = await backendCpuMs(admin, dbName);
    // INSTR_PROFILE=<dir>: a CPU profile of each round's drain only (not the publish).
    const session = process.env.INSTR_PROFILE ? new Session() : undefined;
    if (session !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    q.consume(
      queue,
      async (batch) => {
        starts.push(performance.now());
        count += batch.length;
        if (count === N) resolve();
      },
      {
        batchSize: BATCH,
        concurrency: CONCURRENCY,
        ...(PREFETCH === undefined ? {} : { prefetch: PREFETCH }),
      },
    );
    await done;
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const pgCpu = (await backendCpuMs(admin, dbName)) - pg0;
    if (session !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(
        `${process.env.INSTR_PROFILE}/drain-${round}.cpuprofile`,
        JSON.stringify(profile),
      );
      session.disconnect();
    }
    await q.close();
    console.log(
      `round ${round}: ${Math.round((N * 1000) / (t1 - t0))} msgs/s (${r1(t1 - t0)} ms), node cpu ${r1((cpu.user + cpu.system) / 1000)} ms, postgres backends cpu ${pgCpu} ms, event loop utilisation ${r1(100 * elu.utilization)}%`,
    );
    summarise(calls, starts, t0, t1);
  }
} finally {
  await prisma.$disconnect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}

// bench/soak: a steady load on one provider with a handler mix of successes, retries and dead
// letters, consumers stopped and started during the run. Samples RSS, heap used after a forced
// GC, active handles and open database connections; fits the growth after warm-up; checks that
// after close() no handle, timer or connection is left and no message was lost.
// Run with `pnpm soak [flags]` (node --expose-gc); flags in analysis.ts. Prints a table per run;
// the last line is one JSON object (the figures issue 15 asks for). Exit code 1 when a run
// misses a target.
import { randomBytes } from 'node:crypto';
import {
  type Consumer,
  type Handler,
  type LifecycleEvent,
  type MessageQueue,
  NonRetryableError,
} from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import { applyMigrations, createPrismaQueue } from '@mqkit/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../packages/prisma/test/generated/postgresql/client/client.js';
import {
  afterWarmup,
  combineResults,
  floorSlopePerHour,
  floorWindows,
  leftover,
  mib,
  missedTargets,
  parseSoakArgs,
  type SoakConfig,
  type SoakProvider,
  type SoakResult,
  slopePerHour,
} from './analysis.js';

const BASE_URL = process.env.MQKIT_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const CONSUMERS = 3;
const PUBLISH_TICK_MS = 100;
const DRAIN_TIMEOUT_MS = 60_000;
const PURGE_AFTER_MS = 1_000;
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gc = (globalThis as { gc?: () => void }).gc;

/** What the handler does with a message, chosen by its sequence number. */
type Kind = 'ok' | 'flaky' | 'exhaust' | 'fatal';
const kindOf = (n: number): Kind => {
  const r = n % 20;
  if (r === 0) return 'fatal'; // 5 %: NonRetryableError, dead-lettered at once
  if (r === 1) return 'exhaust'; // 5 %: fails every attempt, dead-lettered after maxAttempts
  if (r <= 4) return 'flaky'; // 15 %: fails the first attempt, succeeds on the retry
  return 'ok'; // 75 %
};
const expectsSuccess = (kind: Kind): boolean => kind === 'ok' || kind === 'flaky';

interface Target {
  readonly queue: MessageQueue;
  /** Open connections to the run's database (0 for memory). */
  connections(): Promise<number>;
  /** Open connections mqkit itself created (the LISTEN connection; 0 for memory). */
  ownConnections(): Promise<number>;
  /**
   * Releases what the harness created beside the queue (the user's client, the database) and
   * resolves to the connections still open after the user's client disconnected.
   */
  release(): Promise<number>;
}

async function memoryTarget(lifecycle: (e: LifecycleEvent) => void): Promise<Target> {
  const queue = createMemoryQueue({
    logger: silent,
    lifecycle: { name: 'soak', onEvent: lifecycle },
  });
  return {
    queue,
    connections: async () => 0,
    ownConnections: async () => 0,
    release: async () => 0,
  };
}

function urlFor(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

// A database of its own (created and dropped here), so counting its connections in
// pg_stat_activity sees mqkit's pool and LISTEN connection and nobody else's.
async function postgresTarget(lifecycle: (e: LifecycleEvent) => void): Promise<Target> {
  const database = `mqkit_soak_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL, application_name: 'mqkit-soak-admin' });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = urlFor(database);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 5 }) });
  await applyMigrations(prisma);
  const queue = createPrismaQueue({
    prisma,
    listen: { connectionString: url },
    logger: silent,
    lifecycle: { name: 'soak', onEvent: lifecycle },
  });
  const count = async (onlyListen: boolean): Promise<number> => {
    const r = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1${onlyListen ? " AND application_name = 'mqkit-listen'" : ''}`,
      [database],
    );
    return (r.rows[0] as { n: number }).n;
  };
  return {
    queue,
    connections: () => count(false),
    ownConnections: () => count(true),
    release: async () => {
      // close() leaves the user's PrismaClient open (it is theirs); the user disconnects it.
      await prisma.$disconnect();
      // A backend may linger a moment after its client hung up.
      let left = await count(false);
      for (let i = 0; i < 20 && left > 0; i++) {
        await sleep(100);
        left = await count(false);
      }
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
      return left;
    },
  };
}

interface Sample {
  readonly atMs: number;
  readonly heap: number;
  readonly rss: number;
  readonly handles: number;
  readonly connections: number;
  readonly outstanding: number;
}

function takeHeap(): { heap: number; rss: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

async function soak(provider: SoakProvider, config: SoakConfig): Promise<SoakResult> {
  const runId = randomBytes(3).toString('hex');
  const queueName = `soak-${runId}`;
  takeHeap();
  const baseline = process.getActiveResourcesInfo();

  // Bookkeeping stays bounded: a message leaves `outstanding` when its final outcome is seen.
  const outstanding = new Map<string, Kind>();
  // Dead letters announced by the lifecycle, purged a second later: the event can come before the
  // provider has written the dead letter (outcomes are written in batches).
  const toPurge: { id: string; at: number }[] = [];
  let succeeded = 0;
  let deadLettered = 0;
  let duplicates = 0;
  let wrongOutcome = 0;
  const onEvent = (e: LifecycleEvent): void => {
    if (e.type === 'succeeded') {
      for (const m of e.messages) {
        const kind = outstanding.get(m.id);
        if (kind === undefined) duplicates++;
        else if (!expectsSuccess(kind)) wrongOutcome++;
        else {
          outstanding.delete(m.id);
          succeeded++;
        }
      }
    } else if (e.type === 'deadLettered') {
      const kind = outstanding.get(e.message.id);
      if (kind === undefined) duplicates++;
      else if (expectsSuccess(kind)) wrongOutcome++;
      else {
        outstanding.delete(e.message.id);
        toPurge.push({ id: e.message.id, at: Date.now() });
        deadLettered++;
      }
    }
  };
  const target =
    provider === 'memory' ? await memoryTarget(onEvent) : await postgresTarget(onEvent);
  const mq = target.queue;

  const handler: Handler = async (messages) => {
    await sleep(Math.random() * 3);
    const failed = [];
    for (const m of messages) {
      const kind = (m.payload as { kind: Kind }).kind;
      if (kind === 'fatal')
        failed.push({ id: m.id, error: new NonRetryableError('soak: not retryable') });
      else if (kind === 'exhaust' || (kind === 'flaky' && m.attempt === 1))
        failed.push({ id: m.id, error: new Error(`soak: ${kind} attempt ${m.attempt}`) });
    }
    return { failed };
  };
  const consumeOptions = {
    batchSize: 5,
    concurrency: 4,
    pollIntervalMs: 500,
    retry: { maxAttempts: 3, backoff: { initialMs: 20, factor: 2, maxMs: 200, jitter: 0.5 } },
  };
  const consumers: Consumer[] = [];
  for (let i = 0; i < CONSUMERS; i++)
    consumers.push(mq.consume(queueName, handler, consumeOptions));

  const durationMs = config.minutes * 60_000;
  const start = Date.now();
  let published = 0;
  let restarts = 0;
  let publishErrors = 0;
  const perTick = config.rate * (PUBLISH_TICK_MS / 1000);
  let carry = 0;
  const samples: Sample[] = [];
  let nextSample = start + config.sampleSeconds * 1000;
  let nextRestart = start + config.restartSeconds * 1000;

  // One loop drives publishing, restarts, dead-letter purging and sampling, so no timer of the
  // harness is alive when the queue is closed.
  while (Date.now() - start < durationMs) {
    carry += perTick;
    const count = Math.floor(carry);
    carry -= count;
    if (count > 0) {
      const batch = Array.from({ length: count }, (_, i) => {
        const n = published + i;
        const kind = kindOf(n);
        const id = `${runId}-${n}`;
        outstanding.set(id, kind);
        return { id, type: kind, payload: { kind, n, pad: 'x'.repeat(200) } };
      });
      try {
        await mq.publish(queueName, batch);
        published += count;
      } catch (error) {
        publishErrors++;
        for (const m of batch) outstanding.delete(m.id);
        console.error(`publish failed: ${(error as Error).message}`);
      }
    }
    const now = Date.now();
    if (now >= nextRestart) {
      // Stop the oldest consumer (draining its handlers) and start a fresh one.
      const old = consumers.shift();
      consumers.push(mq.consume(queueName, handler, consumeOptions));
      await old?.stop({ timeoutMs: 5_000 });
      restarts++;
      nextRestart = now + config.restartSeconds * 1000;
    }
    const settled = toPurge.findIndex((p) => p.at > now - PURGE_AFTER_MS);
    const ripe = settled < 0 ? toPurge.length : settled;
    if (ripe >= 200 || (now >= nextSample && ripe > 0))
      await mq.deadLetters.purge(queueName, { ids: toPurge.splice(0, ripe).map((p) => p.id) });
    if (now >= nextSample) {
      const { heap, rss } = takeHeap();
      samples.push({
        atMs: Date.now() - start,
        heap,
        rss,
        handles: process.getActiveResourcesInfo().length,
        connections: await target.connections(),
        outstanding: outstanding.size,
      });
      nextSample = now + config.sampleSeconds * 1000;
    }
    const wait = PUBLISH_TICK_MS - (Date.now() - now);
    if (wait > 0) await sleep(wait);
  }

  // Drain: every message reaches its final outcome (retries back off at most 200 ms).
  const drainStart = Date.now();
  while (outstanding.size > 0 && Date.now() - drainStart < DRAIN_TIMEOUT_MS) await sleep(50);
  const lost = outstanding.size;
  // Outcomes are written in batches: a dead letter announced a moment ago may land just now.
  await sleep(300);
  toPurge.length = 0;
  const deadLeft = await mq.deadLetters.purge(queueName);
  await mq.close({ timeoutMs: 5_000 });
  const ownAfterClose = await target.ownConnections();
  const connectionsAfterClose = await target.release();
  await sleep(200);
  takeHeap();
  const left = leftover(baseline, process.getActiveResourcesInfo());
  const handlesAfterClose = Object.values(left).reduce((s, n) => s + n, 0);

  const fitted = afterWarmup(samples, durationMs, config.warmup);
  const windows = floorWindows(durationMs * (1 - config.warmup));
  const series = (pick: (s: Sample) => number) =>
    fitted.map((s) => ({ atMs: s.atMs, value: mib(pick(s)) }));
  // Growth of the lower envelope (see floorSlopePerHour): the memory store's lease list is a
  // bounded buffer compacted every few thousand leases, a sawtooth a plain fit mistakes for growth.
  const heapGrowth = floorSlopePerHour(
    series((s) => s.heap),
    windows,
  );
  const rssGrowth = floorSlopePerHour(
    series((s) => s.rss),
    windows,
  );
  const heapGrowthAll = slopePerHour(series((s) => s.heap));
  const round = (x: number): number => Number(x.toFixed(3));

  console.log(
    `\n${provider}: ${config.minutes} min at ${config.rate} msgs/s, ${restarts} consumer restarts`,
  );
  console.log(
    `${'t s'.padStart(7)}${'heap MiB'.padStart(10)}${'rss MiB'.padStart(10)}${'handles'.padStart(9)}${'db conns'.padStart(10)}${'in flight'.padStart(11)}`,
  );
  for (const s of samples)
    console.log(
      `${(s.atMs / 1000).toFixed(0).padStart(7)}${mib(s.heap).toFixed(1).padStart(10)}${mib(s.rss).toFixed(1).padStart(10)}${String(s.handles).padStart(9)}${String(s.connections).padStart(10)}${String(s.outstanding).padStart(11)}`,
    );
  console.log(
    `published ${published}, succeeded ${succeeded}, dead-lettered ${deadLettered}, lost ${lost}, duplicates ${duplicates}, wrong outcome ${wrongOutcome}, publish errors ${publishErrors}, dead letters purged at the end ${deadLeft}`,
  );
  console.log(
    `growth after ${Math.round(config.warmup * 100)} % warm-up (${fitted.length} samples, minima of ${windows} windows): heap ${round(heapGrowth)} MiB/h (plain fit ${round(heapGrowthAll)}), rss ${round(rssGrowth)} MiB/h; after close: ${ownAfterClose} mqkit connection(s), ${connectionsAfterClose} after the user's client disconnected, resources left ${JSON.stringify(left)}`,
  );
  return {
    bench: 'soak',
    provider,
    minutes: config.minutes,
    messages: published,
    heap_growth_mb_per_hour: round(heapGrowth),
    rss_growth_mb_per_hour: round(rssGrowth),
    handles_after_close: handlesAfterClose + ownAfterClose + connectionsAfterClose,
    lost: lost + wrongOutcome,
    heap_growth_plain_fit_mb_per_hour: round(heapGrowthAll),
    duplicates,
    restarts,
    db_connections_after_close: ownAfterClose + connectionsAfterClose,
    max_db_connections: Math.max(0, ...samples.map((s) => s.connections)),
  };
}

/** `undefined` when PostgreSQL answers, else why not. */
async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `${BASE_URL.replace(/\/\/[^@]*@/, '//')} unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const config = parseSoakArgs(process.argv.slice(2));
  if (gc === undefined) throw new Error('run with node --expose-gc (pnpm soak does)');
  const results: SoakResult[] = [];
  for (const provider of config.providers) {
    if (provider === 'postgresql') {
      const reason = await postgresUnreachable();
      if (reason !== undefined) {
        console.log(`SKIPPED: soak postgresql — ${reason}`);
        continue;
      }
    }
    const result = await soak(provider, config);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  if (results.length === 0) throw new Error('no provider could run');
  const missed = results.flatMap((r) => missedTargets(r, config.gateHeap));
  if (!config.gateHeap)
    console.log('\nheap growth reported, not judged: a short run cannot resolve 10 MB/hour');
  console.log(
    missed.length === 0 ? '\ntargets: met' : `\ntargets MISSED:\n  ${missed.join('\n  ')}`,
  );
  if (missed.length > 0) process.exitCode = 1;
  console.log(JSON.stringify(results.length === 1 ? results[0] : combineResults(results)));
}

main().catch((error: unknown) => {
  // A usage error needs its message, not a stack.
  const usage = error instanceof Error && error.message.includes('usage: pnpm soak');
  console.error(usage ? error.message : error);
  process.exitCode = 1;
});

/**
 * `pnpm bench:prometheus` — what @mqkit/prometheus costs the memory drain of bench/memory.
 *
 * The same drain as bench/memory (publish N untimed, then time `consume()` → the handler call that
 * brings the count to N, no-op handler), without and with `createPrometheusLifecycle` attached,
 * for batch 1 / concurrency 50 (two events per message: the worst case) and batch 100 /
 * concurrency 4. Runs are interleaved — without, with, with, without, … — so drift of the shared
 * machine hits both sides alike; each side's figure is the median of its rounds.
 * overhead_ratio = 1 − (with / without), the median over the rounds of each round's own ratio (a
 * round's two drains run back to back, so this cancels the drift between rounds, which on a 2-core
 * VM moves one drain by up to 2× from the next); the JSON line reports the worse of the two
 * configurations. Target ≤ 0.05. Until 2026-12-02 the headline was 1 − (median with / median
 * without), still printed as `…_overhead_of_medians`: with both medians taken from rounds that
 * drift apart it moved ±10 points between runs of the same code. After each "with" run the registry is scraped and its
 * succeeded counter must equal N (the metrics are real, not skipped).
 * Prints a table, then as the very last line one JSON object.
 * Environment: BENCH_MESSAGES (default 200 000), BENCH_ROUNDS (default 20, even; 6 before
 * 2026-12-02), BENCH_WARMUP (untimed full-size drains per side first, default 3; 20 000-message
 * drains before).
 *
 * BENCH_PROCESSES=n: each side runs in its own child processes instead (a process has one
 * configuration, as a deployed application does): per configuration, n processes per side,
 * alternated ABBA, each warming up with two drains and timing BENCH_ROUNDS; the medians are over
 * every timed drain of a side. Both sides then never share compiled code or a heap.
 */
import { execFileSync } from 'node:child_process';
import type { ConsumeOptions } from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import { createPrometheusLifecycle } from '@mqkit/prometheus';
import { Registry } from 'prom-client';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
/** Untimed full-size drains per side and configuration before timing (JIT tiers, heap sizing). */
const WARMUP_DRAINS = Number(process.env.BENCH_WARMUP ?? 3);
const WARMUP = 20_000;
const PUBLISH_CHUNK = 10_000;
const DRAIN_TIMEOUT_MS = 120_000;
const CONFIGS = [
  { name: 'batch 1', options: { batchSize: 1, concurrency: 50 } },
  { name: 'batch 100', options: { batchSize: 100, concurrency: 4 } },
] as const;

/** One drain; resolves to msgs/s. With `metrics`, checks the succeeded counter afterwards. */
async function drain(
  n: number,
  options: Pick<ConsumeOptions, 'batchSize' | 'concurrency'>,
  metrics: boolean,
): Promise<number> {
  const registry = new Registry();
  const lifecycle = metrics ? createPrometheusLifecycle({ registry }) : undefined;
  const queue = createMemoryQueue<{ noop: { i: number } }>(
    lifecycle ? { lifecycle, onLifecycleError: lifecycle.onLifecycleError } : {},
  );
  for (let offset = 0; offset < n; offset += PUBLISH_CHUNK) {
    const count = Math.min(PUBLISH_CHUNK, n - offset);
    const chunk = new Array<{ type: 'noop'; payload: { i: number } }>(count);
    for (let j = 0; j < count; j++) chunk[j] = { type: 'noop', payload: { i: offset + j } };
    await queue.publish('bench', chunk);
  }
  let handled = 0;
  let finished!: (at: number) => void;
  const lastHandled = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const start = performance.now();
  const consumer = queue.consume(
    'bench',
    async (messages) => {
      handled += messages.length;
      if (handled === n) finished(performance.now());
    },
    options,
  );
  let watchdog: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watchdog = setTimeout(
      () =>
        reject(new Error(`drain stalled: ${handled} of ${n} handled after ${DRAIN_TIMEOUT_MS} ms`)),
      DRAIN_TIMEOUT_MS,
    );
  });
  const end = await Promise.race([lastHandled, stalled]);
  clearTimeout(watchdog);
  await consumer.stop();
  await queue.close();
  if (lifecycle) {
    // Events are dispatched synchronously; the counter must hold every message.
    const json = await registry.getSingleMetric('mqkit_messages_succeeded_total')?.get();
    const total = json?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
    if (total !== n) throw new Error(`mqkit_messages_succeeded_total is ${total}, expected ${n}`);
  }
  return Math.round((n / (end - start)) * 1000);
}

/** The middle value of `xs` (the mean of the two middle ones for an even count). */
const middle = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
/** Median rate, msgs/s (whole numbers). */
const median = (xs: number[]): number => Math.round(middle(xs));
const fmt = (x: number): string => x.toLocaleString('en-US');

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 0);
/** Set in a child process: `<config index>:<0|1>` (1 = with metrics). */
const CHILD = process.env.BENCH_PROMETHEUS_CHILD;

/** Child process: warm up, time ROUNDS drains of one configuration and side, print the rates. */
async function child(spec: string): Promise<void> {
  const [index, side] = spec.split(':').map(Number);
  const config = CONFIGS[index as number];
  if (config === undefined) throw new Error(`no configuration ${index}`);
  const metrics = side === 1;
  await drain(WARMUP, config.options, metrics);
  await drain(WARMUP, config.options, metrics);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++)
    rates.push(await drain(MESSAGES, config.options, metrics));
  console.log(JSON.stringify(rates));
}

/** Runs one child (this script again) and returns its rates. */
function inChild(index: number, metrics: boolean): number[] {
  const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1] as string], {
    env: { ...process.env, BENCH_PROMETHEUS_CHILD: `${index}:${metrics ? 1 : 0}` },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as number[];
}

async function main(): Promise<void> {
  if (CHILD !== undefined) return child(CHILD);
  if (PROCESSES > 0) return report(perProcess());
  return report(await inProcess());
}

/** Both sides in this process, drains interleaved. */
async function inProcess(): Promise<Result[]> {
  for (const { options } of CONFIGS) {
    for (let i = 0; i < WARMUP_DRAINS; i++) {
      await drain(MESSAGES, options, false);
      await drain(MESSAGES, options, true);
    }
  }
  const results: Result[] = [];
  for (const { name, options } of CONFIGS) {
    const without: number[] = [];
    const withMetrics: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // ABBA order: without, with, with, without, …
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order)
        (metrics ? withMetrics : without).push(await drain(MESSAGES, options, metrics));
    }
    results.push(result(name, without, withMetrics));
  }
  return results;
}

/** Each side in its own processes, alternated ABBA. */
function perProcess(): Result[] {
  return CONFIGS.map(({ name }, index) => {
    const without: number[] = [];
    const withMetrics: number[] = [];
    for (let p = 0; p < PROCESSES; p++) {
      const order = p % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order)
        (metrics ? withMetrics : without).push(...inChild(index, metrics));
    }
    return result(name, without, withMetrics);
  });
}

/**
 * One configuration's figures: each side's median rate, the overhead from them, and the median of
 * each round's own overhead (round i's drains ran back to back).
 */
function result(name: string, without: number[], withMetrics: number[]): Result {
  const w = median(without);
  const m = median(withMetrics);
  const paired = middle(without.map((rate, i) => 1 - (withMetrics[i] as number) / rate));
  return { name, without, withMetrics, w, m, overhead: 1 - m / w, paired };
}

interface Result {
  readonly name: string;
  readonly without: number[];
  readonly withMetrics: number[];
  readonly w: number;
  readonly m: number;
  readonly overhead: number;
  readonly paired: number;
}

function report(results: Result[]): void {
  console.log(
    PROCESSES > 0
      ? `drain ${fmt(MESSAGES)} messages × ${ROUNDS} rounds in each of ${PROCESSES} processes per side (ABBA), no-op handler (node ${process.version})`
      : `drain ${fmt(MESSAGES)} messages × ${ROUNDS} interleaved rounds per side, no-op handler (node ${process.version})`,
  );
  console.log('');
  console.log(
    `${'config'.padEnd(12)}${'without msgs/s'.padStart(16)}${'with msgs/s'.padStart(14)}${'of medians'.padStart(12)}${'overhead'.padStart(10)}   rounds without | with`,
  );
  for (const r of results)
    console.log(
      `${r.name.padEnd(12)}${fmt(r.w).padStart(16)}${fmt(r.m).padStart(14)}${`${(r.overhead * 100).toFixed(1)}%`.padStart(12)}${`${(r.paired * 100).toFixed(1)}%`.padStart(10)}   ${r.without.map(fmt).join(' ')} | ${r.withMetrics.map(fmt).join(' ')}`,
    );
  const worst = Math.max(...results.map((r) => r.paired));
  console.log('');
  console.log(`target: overhead ≤ 5 %: ${worst <= 0.05 ? 'met' : 'MISSED'}`);
  const [b1, b100] = results;
  console.log(
    JSON.stringify({
      bench: 'prometheus',
      overhead_ratio: Number(worst.toFixed(4)),
      batch1_overhead_ratio: Number((b1?.paired ?? 0).toFixed(4)),
      batch100_overhead_ratio: Number((b100?.paired ?? 0).toFixed(4)),
      batch1_overhead_of_medians: Number((b1?.overhead ?? 0).toFixed(4)),
      batch100_overhead_of_medians: Number((b100?.overhead ?? 0).toFixed(4)),
      batch1_without_msgs_per_s: b1?.w,
      batch1_with_msgs_per_s: b1?.m,
      batch100_without_msgs_per_s: b100?.w,
      batch100_with_msgs_per_s: b100?.m,
      messages: MESSAGES,
      rounds: ROUNDS,
      processes: PROCESSES,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

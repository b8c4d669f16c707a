/**
 * `pnpm bench:prometheus` — what @mqkit/prometheus costs the memory drain of bench/memory.
 *
 * The same drain as bench/memory (publish N untimed, then time `consume()` → the handler call that
 * brings the count to N, no-op handler), without and with `createPrometheusLifecycle` attached,
 * for batch 1 / concurrency 50 (two events per 50 messages: the worst case) and batch 100 /
 * concurrency 4. Each side is one queue (and, on the "with" side, one provider and registry) kept
 * for the whole process, as a deployed application keeps them; after each "with" drain the
 * registry is scraped and its succeeded counter must have grown by N (the metrics are real).
 *
 * A process warms up (BENCH_WARMUP full-size drains per side and configuration), then times
 * BENCH_ROUNDS rounds per configuration; a round is one drain of each side back to back, in ABBA
 * order (without, with, with, without, …), and gives one pair. BENCH_PROCESSES processes run one
 * after another. The headline `overhead_ratio` (worse configuration) is 1 − exp(−t), where t is the
 * 10 %-trimmed mean of ln(without rate / with rate) over every pair of every process, with a
 * bootstrap 95 % interval. Target ≤ 0.05.
 * Why pooled pairs: one drain of 200 000 messages varies by ±15–30 % on the 2-core VM (the main
 * thread's own CPU time varies as much, so it is not scheduling), and an A/A run — both sides
 * without the provider — gave per-process medians of −11 … +10 % around 0: the spread of a
 * 12-round median, not a bias of the process. Every pair is then a sample, and the trimmed mean
 * (robust to the drains a major GC lands in) uses all of them; the median of per-process medians,
 * the headline until 2026-12-03, used them far less efficiently. The JSON line still lists each
 * process's median (`…_per_process`) and the ratio of medians (`…_overhead_of_medians`).
 * Prints a table, then as the very last line one JSON object.
 * Environment: BENCH_MESSAGES (default 200 000), BENCH_PROCESSES (default 5; 1 runs everything in
 * this process), BENCH_ROUNDS (per process, default 24, even), BENCH_WARMUP (default 3),
 * BENCH_CONTROL (1: the A/A control, both sides without the provider).
 */
import { execFileSync } from 'node:child_process';
import type { ConsumeOptions, MessageQueue } from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import { createPrometheusLifecycle } from '@mqkit/prometheus';
import { Registry } from 'prom-client';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 24);
/** Untimed full-size drains per side and configuration before timing (JIT tiers, heap sizing). */
const WARMUP_DRAINS = Number(process.env.BENCH_WARMUP ?? 3);
const PUBLISH_CHUNK = 10_000;
const DRAIN_TIMEOUT_MS = 120_000;
const CONFIGS = [
  { name: 'batch 1', options: { batchSize: 1, concurrency: 50 } },
  { name: 'batch 100', options: { batchSize: 100, concurrency: 4 } },
] as const;

/**
 * One side of the comparison: a queue that lives for the whole run, as in a deployed application
 * (one queue, one lifecycle provider, many consumers over time). A queue and provider built per
 * drain would measure V8 instead: optimized code embeds the previous drain's objects, is thrown
 * away when the collector frees them ("weak objects" in `--trace-deopt`), and is compiled again
 * inside the next timed drain — at a random point, more often on the side with more code.
 */
interface Side {
  readonly queue: MessageQueue<{ noop: { i: number } }>;
  readonly registry?: Registry;
}

function side(metrics: boolean): Side {
  if (!metrics) return { queue: createMemoryQueue<{ noop: { i: number } }>() };
  const registry = new Registry();
  const lifecycle = createPrometheusLifecycle({ registry });
  const queue = createMemoryQueue<{ noop: { i: number } }>({
    lifecycle,
    onLifecycleError: lifecycle.onLifecycleError,
  });
  return { queue, registry };
}

/** Messages `mqkit_messages_succeeded_total` holds in `registry`, over every label set. */
async function succeededTotal(registry: Registry): Promise<number> {
  const json = await registry.getSingleMetric('mqkit_messages_succeeded_total')?.get();
  return json?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

/** One drain of `n` messages through `s`; resolves to msgs/s. With metrics, checks the counter. */
async function drain(
  n: number,
  options: Pick<ConsumeOptions, 'batchSize' | 'concurrency'>,
  s: Side,
): Promise<number> {
  const { queue, registry } = s;
  const before = registry === undefined ? 0 : await succeededTotal(registry);
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
  if (registry !== undefined) {
    // Events are dispatched synchronously; the counter must have grown by every message.
    const added = (await succeededTotal(registry)) - before;
    if (added !== n)
      throw new Error(`mqkit_messages_succeeded_total grew by ${added}, expected ${n}`);
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

/** Processes, each timing both sides (1: everything in this process). */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 5);
/**
 * BENCH_CONTROL=1: the A/A control — the "with" side is a second queue without the provider, so
 * the figures show what the harness reads when there is nothing to find.
 */
const CONTROL = process.env.BENCH_CONTROL === '1';
/** Set in a child process: print the rounds as JSON instead of a report. */
const CHILD = process.env.BENCH_PROMETHEUS_CHILD === '1';

/** One configuration's rates in one process, round i of each side back to back. */
interface Rounds {
  readonly without: number[];
  readonly withMetrics: number[];
}

async function main(): Promise<void> {
  if (CHILD) {
    console.log(JSON.stringify(await inProcess()));
    return;
  }
  const runs = PROCESSES <= 1 ? [await inProcess()] : inChildren();
  report(
    CONFIGS.map(({ name }, i) =>
      result(
        name,
        runs.map((run) => run[i] as Rounds),
      ),
    ),
  );
}

/** Both sides in this process, drains interleaved; one {@link Rounds} per configuration. */
async function inProcess(): Promise<Rounds[]> {
  const sides = { without: side(false), with: side(!CONTROL) };
  for (const { options } of CONFIGS) {
    for (let i = 0; i < WARMUP_DRAINS; i++) {
      await drain(MESSAGES, options, sides.without);
      await drain(MESSAGES, options, sides.with);
    }
  }
  const rounds: Rounds[] = [];
  for (const { options } of CONFIGS) {
    const without: number[] = [];
    const withMetrics: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // ABBA order: without, with, with, without, …
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order) {
        const rate = await drain(MESSAGES, options, metrics ? sides.with : sides.without);
        (metrics ? withMetrics : without).push(rate);
      }
    }
    rounds.push({ without, withMetrics });
  }
  await sides.without.queue.close();
  await sides.with.queue.close();
  return rounds;
}

/** Runs {@link inProcess} in PROCESSES child processes (this script again), one after another. */
function inChildren(): Rounds[][] {
  const runs: Rounds[][] = [];
  for (let p = 0; p < PROCESSES; p++) {
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1] as string], {
      env: { ...process.env, BENCH_PROMETHEUS_CHILD: '1' },
      encoding: 'utf8',
    });
    runs.push(JSON.parse(out.trim().split('\n').at(-1) as string) as Rounds[]);
  }
  return runs;
}

/** The mean of `xs` without its lowest and highest 10 % (the drains a major GC landed in). */
function trimmedMean(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(s.length * 0.1);
  const kept = s.slice(cut, s.length - cut);
  return kept.reduce((sum, x) => sum + x, 0) / kept.length;
}

/** Overhead from a mean log ratio ln(without / with): 1 − with / without. */
const overheadOf = (logRatio: number): number => 1 - Math.exp(-logRatio);

/** Bootstrap 95 % interval of {@link trimmedMean} over `xs` (fixed seed: a run reprints its own interval). */
function interval95(xs: readonly number[]): [number, number] {
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const means: number[] = [];
  for (let b = 0; b < 2_000; b++) {
    const sample = xs.map(() => xs[Math.floor(random() * xs.length)] as number);
    means.push(trimmedMean(sample));
  }
  means.sort((a, b) => a - b);
  return [means[50] as number, means[1_949] as number];
}

/**
 * One configuration's figures over every process: each side's median rate (all rounds), the
 * overhead from them, each process's own median overhead, and the headline: the trimmed mean of
 * every pair's log ratio, with its interval.
 */
function result(name: string, runs: readonly Rounds[]): Result {
  const without = runs.flatMap((r) => r.without);
  const withMetrics = runs.flatMap((r) => r.withMetrics);
  const w = median(without);
  const m = median(withMetrics);
  const perProcess = runs.map((r) =>
    middle(r.without.map((rate, i) => 1 - (r.withMetrics[i] as number) / rate)),
  );
  const logRatios = runs.flatMap((r) =>
    r.without.map((rate, i) => Math.log(rate / (r.withMetrics[i] as number))),
  );
  const [low, high] = interval95(logRatios);
  return {
    name,
    w,
    m,
    overhead: 1 - m / w,
    perProcess,
    pairs: logRatios.length,
    pooled: overheadOf(trimmedMean(logRatios)),
    low: overheadOf(low),
    high: overheadOf(high),
  };
}

interface Result {
  readonly name: string;
  readonly w: number;
  readonly m: number;
  /** 1 − median(with) / median(without), over every round of every process. */
  readonly overhead: number;
  /** Each process's median of its rounds' own overheads. */
  readonly perProcess: number[];
  /** Rounds (pairs) over every process. */
  readonly pairs: number;
  /** The headline: 1 − exp(−trimmed mean of ln(without / with)) over every pair. */
  readonly pooled: number;
  /** Bootstrap 95 % interval of {@link pooled}. */
  readonly low: number;
  readonly high: number;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function report(results: Result[]): void {
  const processes = Math.max(1, PROCESSES);
  console.log(
    `drain ${fmt(MESSAGES)} messages, ${ROUNDS} interleaved rounds per side in each of ${processes} process(es), no-op handler (node ${process.version})`,
  );
  console.log('');
  console.log(
    `${'config'.padEnd(12)}${'without msgs/s'.padStart(16)}${'with msgs/s'.padStart(14)}${'of medians'.padStart(12)}${'overhead'.padStart(10)}${'95 % interval'.padStart(18)}   each process (median)`,
  );
  for (const r of results)
    console.log(
      `${r.name.padEnd(12)}${fmt(r.w).padStart(16)}${fmt(r.m).padStart(14)}${pct(r.overhead).padStart(12)}${pct(r.pooled).padStart(10)}${`${pct(r.low)} … ${pct(r.high)}`.padStart(18)}   ${r.perProcess.map(pct).join(' ')}`,
    );
  const worst = Math.max(...results.map((r) => r.pooled));
  console.log('');
  console.log(
    `overhead = 1 − exp(−trimmed mean of ln(without / with)) over ${results[0]?.pairs ?? 0} pairs per configuration`,
  );
  if (CONTROL) console.log('A/A control (BENCH_CONTROL=1): both sides without the provider');
  else console.log(`target: overhead ≤ 5 %: ${worst <= 0.05 ? 'met' : 'MISSED'}`);
  const [b1, b100] = results;
  const ratio = (x: number | undefined): number => Number((x ?? 0).toFixed(4));
  console.log(
    JSON.stringify({
      bench: 'prometheus',
      overhead_ratio: ratio(worst),
      batch1_overhead_ratio: ratio(b1?.pooled),
      batch100_overhead_ratio: ratio(b100?.pooled),
      batch1_overhead_ci95: [ratio(b1?.low), ratio(b1?.high)],
      batch100_overhead_ci95: [ratio(b100?.low), ratio(b100?.high)],
      batch1_overhead_of_medians: ratio(b1?.overhead),
      batch100_overhead_of_medians: ratio(b100?.overhead),
      batch1_overhead_per_process: b1?.perProcess.map(ratio),
      batch100_overhead_per_process: b100?.perProcess.map(ratio),
      batch1_without_msgs_per_s: b1?.w,
      batch1_with_msgs_per_s: b1?.m,
      batch100_without_msgs_per_s: b100?.w,
      batch100_with_msgs_per_s: b100?.m,
      messages: MESSAGES,
      rounds: ROUNDS,
      processes,
      pairs: b1?.pairs,
      control: CONTROL,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

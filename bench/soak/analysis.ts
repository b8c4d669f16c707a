// Pure parts of the soak (bench/soak/run.ts): flag parsing, the least-squares growth fit and
// the verdict against the targets. Unit-tested in test/soak/analysis.test.ts.

/** Providers the soak can drive. */
export const SOAK_PROVIDERS = ['memory', 'postgresql'] as const;
/** One of {@link SOAK_PROVIDERS}. */
export type SoakProvider = (typeof SOAK_PROVIDERS)[number];

/** What `pnpm soak` was asked to do. */
export interface SoakConfig {
  readonly providers: readonly SoakProvider[];
  /** Minutes of steady load per provider. */
  readonly minutes: number;
  /** Messages published per second. */
  readonly rate: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  /** Fraction of the run treated as warm-up and left out of the growth fit. */
  readonly warmup: number;
  /** Seconds between consumer restarts (one of the consumers is stopped and a new one started). */
  readonly restartSeconds: number;
  /**
   * Whether heap growth fails the run. False for `--short`: a minute cannot resolve 10 MB/hour
   * (measured 3–66 MiB/hour on the same code), so the short run reports it and gates only
   * handles after close and lost messages.
   */
  readonly gateHeap: boolean;
}

/** Targets from issue 15; the soak exits non-zero when a run misses one. */
export const SOAK_TARGETS = { heapGrowthMbPerHour: 10, handlesAfterClose: 0, lost: 0 } as const;

const USAGE =
  'usage: pnpm soak [--provider memory|postgresql|all] [--minutes N] [--rate N] [--sample-seconds N] [--warmup 0..0.9] [--restart-seconds N] [--short]';

/**
 * Parses the soak's flags. `--short` is the CI variant (a minute per provider, half of it warm-up,
 * samples every second); explicit flags after it still win. Throws an `Error` whose message shows the usage.
 */
export function parseSoakArgs(argv: readonly string[]): SoakConfig {
  let providers: readonly SoakProvider[] = SOAK_PROVIDERS;
  let minutes = 3;
  let rate = 200;
  let sampleSeconds = 5;
  let warmup = 0.25;
  let restartSeconds = 10;
  let gateHeap = true;
  const number = (flag: string, raw: string | undefined, min: number, max: number): number => {
    const value = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(value) || value < min || value > max)
      throw new Error(`${flag} must be a number from ${min} to ${max} (got ${raw}). ${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--') continue;
    if (flag === '--short') {
      // Half of each minute is warm-up: a PostgreSQL run's heap still settles (compiled code,
      // client caches) for tens of seconds, which a plain half-minute run reads as growth.
      minutes = 1;
      warmup = 0.5;
      rate = 300;
      sampleSeconds = 1;
      restartSeconds = 5;
      gateHeap = false;
      continue;
    }
    const raw = argv[++i];
    switch (flag) {
      case '--provider':
        if (raw === 'all') providers = SOAK_PROVIDERS;
        else if (raw === 'memory' || raw === 'postgresql') providers = [raw];
        else throw new Error(`--provider must be memory, postgresql or all (got ${raw}). ${USAGE}`);
        break;
      case '--minutes':
        minutes = number(flag, raw, 0.1, 24 * 60);
        break;
      case '--rate':
        rate = number(flag, raw, 1, 100_000);
        break;
      case '--sample-seconds':
        sampleSeconds = number(flag, raw, 0.2, 600);
        break;
      case '--warmup':
        warmup = number(flag, raw, 0, 0.9);
        break;
      case '--restart-seconds':
        restartSeconds = number(flag, raw, 1, 3_600);
        break;
      default:
        throw new Error(`unknown flag ${flag}. ${USAGE}`);
    }
  }
  return { providers, minutes, rate, sampleSeconds, warmup, restartSeconds, gateHeap };
}

/** One sample: time since the start of the load, and the value. */
export interface Point {
  readonly atMs: number;
  readonly value: number;
}

/**
 * Least-squares slope of `points` in units per hour (value per ms × 3,600,000). Returns 0 for
 * fewer than two points or when every sample was taken at the same time.
 */
export function slopePerHour(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.atMs;
    sy += p.value;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.atMs - mx) * (p.value - my);
    sxx += (p.atMs - mx) ** 2;
  }
  return sxx === 0 ? 0 : (sxy / sxx) * 3_600_000;
}

/**
 * Growth of the lower envelope, in units per hour: the samples are cut into `windows` equal spans
 * of time, the minimum of each span is kept, and the slope is fitted through those minima. A
 * bounded buffer that fills and is compacted (a sawtooth) then shows no growth, while memory that
 * is never released raises every minimum. Needs at least two non-empty spans, else 0.
 */
export function floorSlopePerHour(points: readonly Point[], windows: number): number {
  if (points.length < 2) return 0;
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  const span = (last.atMs - first.atMs) / windows;
  if (span <= 0) return 0;
  const minima: Point[] = [];
  for (let w = 0; w < windows; w++) {
    const from = first.atMs + w * span;
    const to = w === windows - 1 ? Number.POSITIVE_INFINITY : from + span;
    let min: Point | undefined;
    for (const p of points)
      if (p.atMs >= from && p.atMs < to && (min === undefined || p.value < min.value)) min = p;
    if (min !== undefined) minima.push(min);
  }
  return slopePerHour(minima);
}

/** Windows for {@link floorSlopePerHour}: one a minute of fitted run, at least 4, at most 60. */
export function floorWindows(fittedMs: number): number {
  return Math.min(60, Math.max(4, Math.floor(fittedMs / 60_000)));
}

/** The samples taken after the warm-up fraction of a run of `durationMs`. */
export function afterWarmup<T extends { readonly atMs: number }>(
  samples: readonly T[],
  durationMs: number,
  warmup: number,
): T[] {
  return samples.filter((s) => s.atMs >= durationMs * warmup);
}

/** Bytes to MiB. */
export const mib = (bytes: number): number => bytes / 1_048_576;

/**
 * Resource kinds present now beyond a baseline, as `{ kind: extra count }` (what is left after
 * `close()`), from two `process.getActiveResourcesInfo()` lists.
 */
export function leftover(
  baseline: readonly string[],
  now: readonly string[],
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const kind of now) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  for (const kind of baseline) counts.set(kind, (counts.get(kind) ?? 0) - 1);
  const result: Record<string, number> = {};
  for (const [kind, count] of counts) if (count > 0) result[kind] = count;
  return result;
}

/** The figures of one soak run (the JSON line, snake_case as the issue names them). */
export interface SoakResult {
  readonly bench: 'soak';
  readonly provider: string;
  readonly minutes: number;
  readonly messages: number;
  readonly heap_growth_mb_per_hour: number;
  readonly rss_growth_mb_per_hour: number;
  readonly handles_after_close: number;
  readonly lost: number;
  readonly [extra: string]: unknown;
}

/** The targets a result misses, as readable sentences (empty when it meets them all). */
export function missedTargets(result: SoakResult, gateHeap = true): string[] {
  const missed: string[] = [];
  if (gateHeap && result.heap_growth_mb_per_hour >= SOAK_TARGETS.heapGrowthMbPerHour)
    missed.push(
      `${result.provider}: heap grows ${result.heap_growth_mb_per_hour} MB/hour (target < ${SOAK_TARGETS.heapGrowthMbPerHour})`,
    );
  if (result.handles_after_close > SOAK_TARGETS.handlesAfterClose)
    missed.push(`${result.provider}: ${result.handles_after_close} handle(s) left after close()`);
  if (result.lost > SOAK_TARGETS.lost)
    missed.push(`${result.provider}: ${result.lost} message(s) lost`);
  return missed;
}

/**
 * Folds several runs into the final JSON line: sums of messages, handles and losses, the worst
 * growth, and each run under `runs`.
 */
export function combineResults(results: readonly SoakResult[]): SoakResult {
  const round = (x: number): number => Number(x.toFixed(3));
  return {
    bench: 'soak',
    provider: results.map((r) => r.provider).join(','),
    minutes: round(results.reduce((s, r) => s + r.minutes, 0)),
    messages: results.reduce((s, r) => s + r.messages, 0),
    heap_growth_mb_per_hour: Math.max(...results.map((r) => r.heap_growth_mb_per_hour)),
    rss_growth_mb_per_hour: Math.max(...results.map((r) => r.rss_growth_mb_per_hour)),
    handles_after_close: results.reduce((s, r) => s + r.handles_after_close, 0),
    lost: results.reduce((s, r) => s + r.lost, 0),
    runs: results,
  };
}

import { describe, expect, it } from 'vitest';
import {
  afterWarmup,
  combineResults,
  floorSlopePerHour,
  floorWindows,
  leftover,
  missedTargets,
  parseSoakArgs,
  type SoakResult,
  slopePerHour,
} from '../../bench/soak/analysis.js';

const result = (over: Partial<SoakResult> = {}): SoakResult => ({
  bench: 'soak',
  provider: 'memory',
  minutes: 3,
  messages: 1000,
  heap_growth_mb_per_hour: 1,
  rss_growth_mb_per_hour: 2,
  handles_after_close: 0,
  lost: 0,
  ...over,
});

describe('soak flags', () => {
  it('defaults to both providers for a few minutes', () => {
    expect(parseSoakArgs([])).toEqual({
      providers: ['memory', 'postgresql'],
      minutes: 3,
      rate: 200,
      sampleSeconds: 5,
      warmup: 0.25,
      restartSeconds: 10,
      gateHeap: true,
    });
  });
  it('--short is the CI variant and later flags still win', () => {
    expect(parseSoakArgs(['--short', '--provider', 'memory', '--rate', '50'])).toEqual({
      providers: ['memory'],
      minutes: 1,
      rate: 50,
      sampleSeconds: 1,
      warmup: 0.5,
      restartSeconds: 5,
      gateHeap: false,
    });
  });
  it('rejects unknown flags, providers and out-of-range numbers with the usage', () => {
    expect(() => parseSoakArgs(['--minuts', '3'])).toThrow(/unknown flag --minuts.*usage/);
    expect(() => parseSoakArgs(['--provider', 'redis'])).toThrow(/memory, postgresql or all/);
    expect(() => parseSoakArgs(['--minutes', '0'])).toThrow(/--minutes must be a number/);
    expect(() => parseSoakArgs(['--rate'])).toThrow(/--rate must be a number/);
    expect(() => parseSoakArgs(['--warmup', '1'])).toThrow(/from 0 to 0.9/);
  });
});

describe('growth fit', () => {
  it('fits a steady growth exactly, per hour', () => {
    // 1 MiB every 6 minutes = 10 MiB per hour.
    const points = [0, 1, 2, 3].map((i) => ({ atMs: i * 360_000, value: 50 + i }));
    expect(slopePerHour(points)).toBeCloseTo(10, 9);
  });
  it('is 0 for a flat series, one point or simultaneous samples', () => {
    expect(slopePerHour([1, 2, 3].map((i) => ({ atMs: i * 1000, value: 7 })))).toBe(0);
    expect(slopePerHour([{ atMs: 5, value: 1 }])).toBe(0);
    expect(
      slopePerHour([
        { atMs: 5, value: 1 },
        { atMs: 5, value: 9 },
      ]),
    ).toBe(0);
  });
  it('the lower envelope ignores a bounded sawtooth that a plain fit reads as growth', () => {
    // A buffer that fills for 10 s and is then compacted, sampled every second for 45 s.
    const saw = Array.from({ length: 45 }, (_, s) => ({ atMs: s * 1000, value: 20 + (s % 10) }));
    expect(Math.abs(slopePerHour(saw))).toBeGreaterThan(10);
    expect(floorSlopePerHour(saw, 4)).toBe(0);
  });
  it('the lower envelope still sees memory that is never released', () => {
    const leak = Array.from({ length: 40 }, (_, s) => ({
      atMs: s * 1000,
      value: 20 + (s % 10) + s * 0.01,
    }));
    expect(floorSlopePerHour(leak, 4)).toBeCloseTo(36, 0);
    expect(floorSlopePerHour([], 4)).toBe(0);
  });
  it('uses a window per fitted minute, between 4 and 60', () => {
    expect(floorWindows(30_000)).toBe(4);
    expect(floorWindows(10 * 60_000)).toBe(10);
    expect(floorWindows(24 * 3_600_000)).toBe(60);
  });
  it('leaves the warm-up out of the fit', () => {
    const samples = [0, 10, 20, 30, 40].map((atMs) => ({ atMs }));
    expect(afterWarmup(samples, 40, 0.25)).toEqual([
      { atMs: 10 },
      { atMs: 20 },
      { atMs: 30 },
      { atMs: 40 },
    ]);
  });
});

describe('after close', () => {
  it('counts resources beyond the baseline, by kind', () => {
    expect(
      leftover(['TTYWrap', 'Timeout'], ['TTYWrap', 'Timeout', 'Timeout', 'TCPSocketWrap']),
    ).toEqual({ Timeout: 1, TCPSocketWrap: 1 });
    expect(leftover(['TTYWrap', 'Timeout'], ['TTYWrap'])).toEqual({});
  });
});

describe('verdict', () => {
  it('names each missed target', () => {
    expect(missedTargets(result())).toEqual([]);
    expect(
      missedTargets(result({ heap_growth_mb_per_hour: 10, handles_after_close: 1, lost: 2 })),
    ).toEqual([
      'memory: heap grows 10 MB/hour (target < 10)',
      'memory: 1 handle(s) left after close()',
      'memory: 2 message(s) lost',
    ]);
    expect(missedTargets(result({ heap_growth_mb_per_hour: 50 }), false)).toEqual([]);
    expect(missedTargets(result({ heap_growth_mb_per_hour: 50, lost: 1 }), false)).toEqual([
      'memory: 1 message(s) lost',
    ]);
  });
  it('combines runs into one line: sums, worst growth, and each run', () => {
    const a = result({ messages: 10, heap_growth_mb_per_hour: 3, lost: 1 });
    const b = result({
      provider: 'postgresql',
      messages: 5,
      rss_growth_mb_per_hour: 9,
      handles_after_close: 2,
    });
    expect(combineResults([a, b])).toEqual({
      bench: 'soak',
      provider: 'memory,postgresql',
      minutes: 6,
      messages: 15,
      heap_growth_mb_per_hour: 3,
      rss_growth_mb_per_hour: 9,
      handles_after_close: 2,
      lost: 1,
      runs: [a, b],
    });
  });
});

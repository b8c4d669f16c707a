// The accumulators behind the metrics: a histogram must count exactly what prom-client would,
// whatever order the observations come in (the bucket hint is only a shortcut).
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGE_BUCKETS } from '../src/options.js';
import { Hist } from '../src/series.js';

/** Bucket counts by prom-client's rule: an observation goes to the first bound it is ≤ to. */
function reference(bounds: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) {
    const i = bounds.findIndex((le) => v <= le);
    counts[i === -1 ? bounds.length : i] = (counts[i === -1 ? bounds.length : i] as number) + 1;
  }
  return counts;
}

describe('Hist', () => {
  it('counts every observation in the bucket prom-client would, in any order', () => {
    const bounds = DEFAULT_AGE_BUCKETS;
    // Boundaries themselves, just above and below them, 0, +Inf territory, then runs that stay in
    // one bucket and runs that jump between distant ones.
    const values = [
      ...bounds,
      ...bounds.map((b) => b * 1.000001),
      ...bounds.map((b) => b * 0.999999),
      0,
      5_000,
      // A bound right after a value of the bucket above or below it (the hint must not claim it).
      ...bounds.slice(1).flatMap((b, i) => {
        const below = bounds[i] as number;
        const mid = (below + b) / 2;
        return [mid, below, mid, b, b * 1.5, b];
      }),
      ...Array.from({ length: 50 }, () => 0.7),
      ...Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.001 : 4_000)),
    ];
    let seed = 7;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      values.push((seed / 2_147_483_648) ** 4 * 5_000);
    }
    const h = new Hist(bounds);
    for (const v of values) h.observe(v);
    expect([...h.counts]).toEqual(reference(bounds, values));
    expect(h.count).toBe(values.length);
    expect(h.sum).toBeCloseTo(
      values.reduce((s, v) => s + v, 0),
      6,
    );
  });
});

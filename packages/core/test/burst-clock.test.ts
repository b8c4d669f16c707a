// The consume loop's clock: one read per burst of microtasks, fresh again once the burst ran
// (test/consume-loop.test.ts checks that handler durations stay exact through it).
import { describe, expect, it } from 'vitest';
import { burstClock } from '../src/consumer/burst-clock.js';

describe('burstClock', () => {
  it('reads the clock once per burst and again once the queued microtasks ran', async () => {
    let reads = 0;
    let time = 100;
    const now = burstClock(() => {
      reads++;
      return time;
    });
    expect([now(), now(), now()]).toEqual([100, 100, 100]);
    expect(reads).toBe(1);
    time = 200;
    await Promise.resolve();
    expect(now()).toBe(200);
    expect(reads).toBe(2);
  });
});

// The consume loop's clock: one read per burst of microtasks, fresh again once the burst ran
// (test/consume-loop.test.ts checks that handler durations stay exact through it).
import { describe, expect, it } from 'vitest';
import { afterBurst, burstClock } from '../src/consumer/burst-clock.js';

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

describe('afterBurst', () => {
  it('runs once after the microtasks already queued, however often it was asked, then again', async () => {
    const log: string[] = [];
    const queue = afterBurst(() => log.push('run'));
    queue();
    void Promise.resolve().then(() => {
      log.push('queued before');
      queue();
    });
    queue();
    expect(log).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['run', 'queued before', 'run']);
    queue();
    await Promise.resolve();
    expect(log).toEqual(['run', 'queued before', 'run', 'run']);
  });
});

// The store's lease list: entries are dropped lazily by a sweep; a record leased again after a
// release must end up there once, and its lease must still expire.
import { describe, expect, it } from 'vitest';
import { QueueState, type StoredMessage } from '../src/store.js';
import { recordFields as fields } from './record-fixture.js';

const leaseCount = (state: QueueState): number =>
  (state as unknown as { leases: { length: number } }).leases.length;

describe('QueueState lease sweep', () => {
  it('keeps one entry per leased record after a release and re-claim, and the lease still expires', () => {
    const state = new QueueState();
    const r = state.create(fields('r'));
    state.add(r, 0);
    const [first] = state.claim(1, 1_000, 0) as StoredMessage[];
    expect(first).toBe(r);
    expect(state.release(r, r.token, 0)).toBe(true);
    expect(state.claim(1, 1_000, 0)).toEqual([r]); // r now sits in the lease list twice
    for (let i = 0; i < 5_000; i++) state.add(state.create(fields(`m${i}`)), 0);
    const others = state.claim(5_000, 1_000, 0);
    for (const m of others) expect(state.ack(m, m.token, 0)).toBe(true);
    expect(leaseCount(state)).toBe(5_002);
    // Nothing ready: this claim only sweeps (entries > 4,096 and > 4 × leased).
    expect(state.claim(1, 1_000, 0)).toEqual([]);
    expect(leaseCount(state)).toBe(1);
    // Past the lease r is due again, once.
    expect(state.claim(10, 1_000, 1_001)).toEqual([r]);
    expect(r.attempt).toBe(2);
  });

  it('a drain that only acknowledges sweeps its entries away', () => {
    const state = new QueueState();
    for (let i = 0; i < 6_000; i++) state.add(state.create(fields(`m${i}`)), 0);
    for (let round = 0; round < 60; round++)
      for (const m of state.claim(100, 1_000, 0)) state.ack(m, m.token, 0);
    expect(state.size).toBe(0);
    expect(leaseCount(state)).toBeLessThanOrEqual(4_097);
  });
});

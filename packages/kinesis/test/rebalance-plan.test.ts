import { describe, expect, it } from 'vitest';
import type { ShardInfo } from '../src/consumer/shards.js';
import { orphanedShards, planRebalance, type RebalanceInput } from '../src/rebalance/plan.js';
import { defaultWatchdogMs, selfFenceDeadline, stalledLoops } from '../src/watchdog/watchdog.js';

const shardsOf = (n: number): ShardInfo[] =>
  Array.from({ length: n }, (_, i) => ({ shardId: `s${i}`, parents: [] }));

const input = (over: Partial<RebalanceInput>): RebalanceInput => ({
  self: 'a',
  shards: shardsOf(8),
  finished: new Set(),
  instances: ['a'],
  owners: new Map(),
  heldSince: new Map(),
  now: 100_000,
  minHoldMs: 5_000,
  ...over,
});

/** Every instance plans on the same view, then applies its moves (releases first, then takes). */
function simulate(
  shards: ShardInfo[],
  instances: string[],
  start: Map<string, string>,
  rounds = 20,
): { owners: Map<string, string>; moves: number; rounds: number } {
  const owners = new Map(start);
  const heldSince = new Map<string, number>([...owners.keys()].map((s) => [s, 0]));
  let moves = 0;
  for (let round = 1; round <= rounds; round++) {
    const now = 100_000 + round * 1_000;
    const plans = instances.map((self) => ({
      self,
      plan: planRebalance({
        self,
        shards,
        finished: new Set(),
        instances,
        owners: new Map(owners),
        heldSince,
        now,
        minHoldMs: 0,
      }),
    }));
    let changed = false;
    for (const { plan } of plans)
      for (const s of plan.release) {
        owners.delete(s);
        moves++;
        changed = true;
      }
    for (const { self, plan } of plans)
      for (const s of plan.acquire) {
        // The acquire script lets only the first taker win.
        if (owners.has(s)) continue;
        owners.set(s, self);
        heldSince.set(s, now);
        moves++;
        changed = true;
      }
    if (!changed) return { owners, moves, rounds: round };
  }
  return { owners, moves, rounds };
}

const counts = (owners: Map<string, string>, instances: string[]) =>
  instances.map((i) => [...owners.values()].filter((o) => o === i).length);

describe('planRebalance (fair share of ready shards)', () => {
  it('a lone instance takes every free shard', () => {
    const plan = planRebalance(input({}));
    expect(plan.target).toBe(8);
    expect(plan.acquire).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    expect(plan.release).toEqual([]);
  });

  it('uneven counts: 8 shards over 3 instances settle at 3/3/2 and every shard owned once', () => {
    const instances = ['a', 'b', 'c'];
    const { owners } = simulate(shardsOf(8), instances, new Map());
    expect(owners.size).toBe(8);
    expect(counts(owners, instances).sort()).toEqual([2, 3, 3]);
  });

  it('the holders of the larger share keep it: a stable 3/3/2 spread makes no move', () => {
    const owners = new Map<string, string>([
      ['s0', 'c'],
      ['s1', 'c'],
      ['s2', 'c'],
      ['s3', 'b'],
      ['s4', 'b'],
      ['s5', 'b'],
      ['s6', 'a'],
      ['s7', 'a'],
    ]);
    const { moves } = simulate(shardsOf(8), ['a', 'b', 'c'], owners);
    expect(moves).toBe(0);
  });

  it('a joining instance gets its fair share from the peers that hold too many', () => {
    const start = new Map<string, string>([
      ['s0', 'a'],
      ['s1', 'a'],
      ['s2', 'a'],
      ['s3', 'b'],
      ['s4', 'b'],
      ['s5', 'b'],
      ['s6', 'c'],
      ['s7', 'c'],
    ]);
    const instances = ['a', 'b', 'c', 'd'];
    const { owners, moves } = simulate(shardsOf(8), instances, start);
    expect(counts(owners, instances)).toEqual([2, 2, 2, 2]);
    // Two releases and two takes: no shard moves that did not have to.
    expect(moves).toBe(4);
  });

  it('10 shards, 4 instances: a peer stuck at 1 is raised to the floor (3/3/2/2)', () => {
    const start = new Map<string, string>(
      ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c', 'd'].map((o, i) => [`s${i}`, o]),
    );
    const instances = ['a', 'b', 'c', 'd'];
    const { owners } = simulate(shardsOf(10), instances, start);
    expect(counts(owners, instances).sort()).toEqual([2, 2, 3, 3]);
    expect(counts(owners, ['d'])).toEqual([2]);
  });

  it('more instances than shards: one shard each, the rest idle', () => {
    const instances = ['a', 'b', 'c', 'd', 'e'];
    const { owners } = simulate(shardsOf(3), instances, new Map());
    expect(owners.size).toBe(3);
    expect(Math.max(...counts(owners, instances))).toBe(1);
  });

  it('damping: a shard held for less than minHoldMs is not released, an older one is', () => {
    const owners = new Map<string, string>(shardsOf(8).map((s) => [s.shardId, 'a']));
    const heldSince = new Map<string, number>(shardsOf(8).map((s) => [s.shardId, 0]));
    heldSince.set('s7', 99_000); // taken one second ago
    const plan = planRebalance(input({ instances: ['a', 'b'], owners, heldSince }));
    expect(plan.target).toBe(4);
    expect(plan.release).toHaveLength(4);
    expect(plan.release).not.toContain('s7');
  });

  it('flapping instance: leaving and coming back before its leases expire moves no shard', () => {
    const owners = new Map<string, string>(
      ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'].map((o, i) => [`s${i}`, o]),
    );
    for (const view of [
      ['a', 'b'],
      ['a', 'b', 'c'],
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]) {
      for (const self of view) {
        const plan = planRebalance(input({ self, instances: view, owners }));
        // c's leases are still live: nothing is free, so nobody takes; nobody is over target.
        expect(plan.acquire).toEqual([]);
        expect(plan.release).toEqual([]);
      }
    }
  });

  it('a stale instance (missing from the live list) releases everything and takes nothing', () => {
    const owners = new Map<string, string>([
      ['s0', 'a'],
      ['s1', 'a'],
    ]);
    const plan = planRebalance(input({ instances: ['b', 'c'], owners }));
    expect(plan).toEqual({ target: 0, acquire: [], release: ['s0', 's1'] });
  });

  it('a stale instance that comes back takes only free shards, never a live lease of a peer', () => {
    // While a was stale, b and c took its shards; a is live again and holds nothing.
    const owners = new Map<string, string>(
      ['b', 'b', 'b', 'b', 'c', 'c', 'c', 'c'].map((o, i) => [`s${i}`, o]),
    );
    const plan = planRebalance(input({ instances: ['a', 'b', 'c'], owners }));
    expect(plan.acquire).toEqual([]);
    expect(plan.target).toBe(2);
    // The peers release towards it.
    const b = planRebalance(input({ self: 'b', instances: ['a', 'b', 'c'], owners }));
    expect(b.release).toHaveLength(1);
  });

  it("a dead peer's unexpired lease is waited out, not taken", () => {
    const owners = new Map<string, string>([['s0', 'dead']]);
    const plan = planRebalance(input({ instances: ['a'], owners }));
    expect(plan.acquire).not.toContain('s0');
    expect(plan.acquire).toHaveLength(7);
  });

  it('resharded stream: children wait for their parents and do not count towards the share', () => {
    // s0 split into s8 and s9; s1 and s2 merged into s10.
    const shards: ShardInfo[] = [
      ...shardsOf(4),
      { shardId: 's8', parents: ['s0'] },
      { shardId: 's9', parents: ['s0'] },
      { shardId: 's10', parents: ['s1', 's2'] },
    ];
    const plan = planRebalance(input({ shards, instances: ['a', 'b'] }));
    expect(plan.target).toBe(2);
    expect(plan.acquire).toEqual(['s0', 's1']);
    // s0 and s1 finished, s2 not: s8 and s9 become ready, s10 still waits.
    const later = planRebalance(
      input({ shards, instances: ['a', 'b'], finished: new Set(['s0', 's1']) }),
    );
    expect(later.target).toBe(2);
    expect(later.acquire).toEqual(['s2', 's3']);
    const all = planRebalance(
      input({ shards, instances: ['a'], finished: new Set(['s0', 's1', 's2']) }),
    );
    expect(all.acquire).toEqual(['s3', 's8', 's9', 's10']);
  });
});

describe('watchdog and self-fencing (pure)', () => {
  it('a loop without progress for the limit is stalled; one that progressed is not', () => {
    const loops = [
      { id: 'old', progressAt: () => 1_000 },
      { id: 'fresh', progressAt: () => 9_500 },
    ];
    expect(stalledLoops(loops, 10_000, 9_000).map((l) => l.id)).toEqual(['old']);
    expect(stalledLoops(loops, 10_000, 9_001)).toEqual([]);
  });

  it('the default watchdog limit leaves the handler its timeout plus two lease periods', () => {
    expect(defaultWatchdogMs(60_000, 10_000)).toBe(80_000);
  });

  it('a lease is given up a margin before Redis can expire it, never later than half the TTL early', () => {
    // Renewed (sent) at t=1 000 with a 10 s TTL: Redis expires it no earlier than 11 000.
    expect(selfFenceDeadline(1_000, 10_000, 1_000)).toBe(10_000);
    expect(selfFenceDeadline(1_000, 10_000, 1_000)).toBeLessThan(1_000 + 10_000);
    // A margin larger than half the TTL is capped.
    expect(selfFenceDeadline(0, 1_000, 5_000)).toBe(500);
  });
});

describe('orphanedShards', () => {
  it('a free shard becomes an orphan only after the grace period, and forgets shards taken since', () => {
    const since = new Map<string, number>();
    expect(orphanedShards(['s0', 's1'], since, 1_000, 2_000)).toEqual([]);
    expect(orphanedShards(['s0', 's1'], since, 2_999, 2_000)).toEqual([]);
    expect(orphanedShards(['s0'], since, 3_000, 2_000)).toEqual(['s0']);
    // s1 was taken meanwhile: free again, its clock starts over.
    expect(orphanedShards(['s0', 's1'], since, 3_500, 2_000)).toEqual(['s0']);
    expect(orphanedShards(['s0', 's1'], since, 5_500, 2_000)).toEqual(['s0', 's1']);
  });
});

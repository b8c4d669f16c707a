import { readyShards, type ShardInfo } from '../consumer/shards.js';

/** What one instance knows when it plans its next moves. */
export interface RebalanceInput {
  /** This instance's id. */
  readonly self: string;
  /** Every listed shard of the stream (with its parents). */
  readonly shards: readonly ShardInfo[];
  /** Shards whose checkpoint is `SHARD_END`. */
  readonly finished: ReadonlySet<string>;
  /** Instances whose heartbeat is within the cutoff (this one included when it is live). */
  readonly instances: readonly string[];
  /** Live (unexpired) lease owner of each shard; a shard missing here is free. */
  readonly owners: ReadonlyMap<string, string>;
  /** When this instance acquired each shard it holds (its own clock, ms). */
  readonly heldSince: ReadonlyMap<string, number>;
  /** Now, on the same clock as `heldSince`. */
  readonly now: number;
  /** Damping: a shard held for less than this is never released to even out the share. */
  readonly minHoldMs: number;
}

/** The moves one instance makes now. */
export interface RebalancePlan {
  /** How many ready shards this instance should own. */
  readonly target: number;
  /** Free shards to take, in order. */
  readonly acquire: readonly string[];
  /** Own shards to hand off (checkpoint, then release). */
  readonly release: readonly string[];
}

/**
 * Plans this instance's moves towards a fair share of the ready shards (open shards whose parents
 * are finished): `ceil(ready / live instances)` for as many instances as the remainder, the floor
 * for the rest. Which instances get the larger share is decided by who holds most now (then by
 * id), so every instance computes the same targets from the same view and a stable spread is
 * never shuffled. Only free shards are taken (a live lease of a dead peer is waited out); excess
 * is released youngest first, never a shard held for less than `minHoldMs` (deploys and flapping
 * instances do not make leases ping-pong). An instance missing from `instances` (its own heartbeat
 * is stale) targets nothing: it releases everything and takes nothing. Pure.
 */
export function planRebalance(input: RebalanceInput): RebalancePlan {
  const ready = readyShards(input.shards, input.finished).map((s) => s.shardId);
  const live = [...new Set(input.instances)];
  if (!live.includes(input.self)) {
    const mine = ready.filter((id) => input.owners.get(id) === input.self);
    return { target: 0, acquire: [], release: mine };
  }
  const held = new Map<string, number>(live.map((id) => [id, 0]));
  for (const shardId of ready) {
    const owner = input.owners.get(shardId);
    if (owner !== undefined && held.has(owner)) held.set(owner, (held.get(owner) ?? 0) + 1);
  }
  const base = Math.floor(ready.length / live.length);
  const extra = ready.length % live.length;
  const ranked = [...live].sort(
    (a, b) => (held.get(b) ?? 0) - (held.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const target = base + (ranked.indexOf(input.self) < extra ? 1 : 0);
  const mine = ready.filter((id) => input.owners.get(id) === input.self);
  if (mine.length > target) {
    const releasable = mine
      .filter((id) => input.now - (input.heldSince.get(id) ?? 0) >= input.minHoldMs)
      .sort((a, b) => (input.heldSince.get(b) ?? 0) - (input.heldSince.get(a) ?? 0));
    return { target, acquire: [], release: releasable.slice(0, mine.length - target) };
  }
  const free = ready.filter((id) => !input.owners.has(id));
  return { target, acquire: free.slice(0, target - mine.length), release: [] };
}

/** Ready shards not owned by any live instance's unexpired lease, for operators and tests. Pure. */
export function unownedShards(
  shards: readonly ShardInfo[],
  finished: ReadonlySet<string>,
  owners: ReadonlyMap<string, string>,
): string[] {
  return readyShards(shards, finished)
    .map((s) => s.shardId)
    .filter((id) => !owners.has(id));
}

/**
 * Free shards nobody took for `graceMs` (their planned taker cannot, e.g. its watchdog just gave
 * the shard up): an instance below the ceiling share takes them, so no shard stays orphaned.
 * `freeSince` is updated in place (first time each shard was seen free). Pure apart from that map.
 */
export function orphanedShards(
  free: readonly string[],
  freeSince: Map<string, number>,
  now: number,
  graceMs: number,
): string[] {
  for (const id of [...freeSince.keys()]) if (!free.includes(id)) freeSince.delete(id);
  for (const id of free) if (!freeSince.has(id)) freeSince.set(id, now);
  return free.filter((id) => now - (freeSince.get(id) ?? now) >= graceMs);
}

import type { RawStats } from '@mqkit/core/provider';
import type { Collection } from 'mongodb';
import { claimableFilter, type MessageDocument } from '../schema/document.js';

/**
 * The count filters of `stats()` for the qualified queue `queue` at `now`, each answered from an
 * index created by `init()`:
 * - `ready`: the claim filter itself (`mqkit_claim`): due, and not leased or lease expired;
 * - `delayed`: live, not due yet (`mqkit_claim`; a leased document is always due, since a claim
 *   only takes due documents);
 * - `inFlight`: a lease not yet expired (`mqkit_lease_expiry`, partial on `token`);
 * - `deadLettered`: `mqkit_dead_letters`.
 */
export function statsFilters(queue: string, now: Date) {
  return {
    ready: claimableFilter(queue, now),
    delayed: { queue, runAt: { $gt: now } },
    inFlight: { queue, token: { $type: 'string' as const }, leaseUntil: { $gte: now } },
    deadLettered: { deadQueue: queue },
  };
}

/**
 * Reads the counts of {@link statsFilters} in parallel, plus the due time of the oldest ready
 * document (one document read through `mqkit_claim`).
 */
export async function readStats(
  collection: Collection<MessageDocument>,
  queue: string,
  now: Date,
): Promise<RawStats> {
  const f = statsFilters(queue, now);
  const [ready, delayed, inFlight, deadLettered, oldest] = await Promise.all([
    collection.countDocuments(f.ready),
    collection.countDocuments(f.delayed),
    collection.countDocuments(f.inFlight),
    collection.countDocuments(f.deadLettered),
    collection.findOne(f.ready, { sort: { runAt: 1 }, projection: { runAt: 1 } }),
  ]);
  return { ready, delayed, inFlight, deadLettered, oldestReadyAt: oldest?.runAt.getTime() };
}

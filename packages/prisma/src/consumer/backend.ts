import { randomUUID } from 'node:crypto';
import type { Claim, ConsumerBackend, Outcomes } from '@mqkit/core/provider';
import { rowToEnvelope, toTime } from '../message.js';
import { leaseKey, type MessageRow, type SqlStore } from '../sql/store.js';

/** A claimed row: its envelope and the token of the claim that leased it. */
export interface PrismaClaim extends Claim {
  readonly token: string;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Claim order: highest priority first, then the earliest due, then publish order. */
const byClaimOrder = (a: MessageRow, b: MessageRow): number =>
  Number(b.priority) - Number(a.priority) ||
  toTime(a.run_at) - toTime(b.run_at) ||
  Number(a.seq ?? 0) - Number(b.seq ?? 0);

/** Whether `rows` are in claim order already. */
function inOrder(rows: readonly MessageRow[]): boolean {
  for (let i = 1; i < rows.length; i++)
    if (byClaimOrder(rows[i - 1] as MessageRow, rows[i] as MessageRow) > 0) return false;
  return true;
}

/** Everything one consumer's backend needs. */
export interface PrismaBackendParams {
  readonly store: SqlStore;
  /** Queue as stored (namespaced). */
  readonly storedQueue: string;
  /** The consumer's `retry.maxAttempts`, for rows without their own. */
  readonly defaultMaxAttempts: number;
  /** Waits for a wake-up of this queue (local publish or NOTIFY). */
  readonly wait: (timeoutMs: number, signal: AbortSignal) => Promise<void>;
  /** Outcome writes the loop may run at once (`ConsumerBackend.maxSettlesInFlight`). Default 1. */
  readonly settlesInFlight?: number;
}

/**
 * The {@link ConsumerBackend} of one Prisma consumer: one claim statement per call (a fresh
 * token per claim), lease extension, and outcome lists written concurrently, one statement each,
 * every write fenced by lease token. Payloads are decoded by the kit, not here.
 */
export function createPrismaBackend(p: PrismaBackendParams): ConsumerBackend<PrismaClaim> {
  const { store, storedQueue, defaultMaxAttempts } = p;
  const ref = (c: PrismaClaim) => ({ id: c.id, token: c.token });
  return {
    async claim(limit, leaseMs) {
      const token = randomUUID();
      const rows = await store.claim(storedQueue, limit, leaseMs, token);
      // RETURNING order is unspecified: restore claim order for handler starts. The rows mostly
      // come back in it already, and checking costs less than sorting.
      if (!inOrder(rows)) rows.sort(byClaimOrder);
      return rows.map((row) => {
        // The claim is the envelope with its token added, not a copy of it with the token.
        const claim = rowToEnvelope(row, defaultMaxAttempts) as Writable<PrismaClaim>;
        claim.token = token;
        return claim;
      });
    },
    async extend(claims, leaseMs) {
      const held = await store.extend(storedQueue, claims.map(ref), leaseMs);
      return claims.filter((c) => !held.has(leaseKey(c.id, c.token)));
    },
    async settle(outcomes: Outcomes<PrismaClaim>) {
      const writes: Promise<void>[] = [];
      if (outcomes.acked.length > 0) writes.push(store.ack(storedQueue, outcomes.acked.map(ref)));
      if (outcomes.retried.length > 0)
        writes.push(
          store.retry(
            storedQueue,
            outcomes.retried.map((r) => ({
              ...ref(r.claim),
              delayMs: r.delayMs,
              error: JSON.stringify(r.error),
            })),
          ),
        );
      if (outcomes.deadLettered.length > 0)
        writes.push(
          store.deadLetter(
            storedQueue,
            outcomes.deadLettered.map((d) => ({
              ...ref(d.claim),
              error: JSON.stringify(d.error),
              runAt: d.claim.runAt,
              // The value this consumer applied (the message's own, else the consumer's).
              maxAttempts: d.claim.maxAttempts,
            })),
          ),
        );
      if (outcomes.released.length > 0)
        writes.push(store.release(storedQueue, outcomes.released.map(ref)));
      // The lists touch disjoint rows: write them concurrently (one statement each).
      const results = await Promise.allSettled(writes);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      // Every write is fenced by lease token, so writing a list twice after a partial failure is
      // harmless: the rows already written no longer match.
      if (failed !== undefined) throw failed.reason;
    },
    waitForWork: p.wait,
    maxSettlesInFlight: p.settlesInFlight ?? 1,
  };
}

import { randomUUID } from 'node:crypto';
import type { ErrorInfo } from '@mqkit/core';
import type { Claim, ConsumerBackend, Outcomes } from '@mqkit/core/provider';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import {
  CLAIM_SORT,
  claimableFilter,
  compareClaimOrder,
  type MessageDocument,
  toEnvelope,
} from '../schema/document.js';
import type { WakeHub } from '../wakeup/wake-hub.js';

/** A claimed message and the token of its lease. Documents are addressed by (queue, `mid`). */
export interface MongoClaim extends Claim {
  readonly token: string;
}

/** Candidate rounds of one batch claim before it settles for fewer messages than asked. */
const MAX_CLAIM_ROUNDS = 4;

/** Everything one consumer's backend needs. */
export interface MongoBackendParams {
  readonly collection: Collection<MessageDocument>;
  /** Resolves once indexes exist (lazy `init()`). */
  readonly ready: () => Promise<void>;
  /** Queue as stored (namespaced). */
  readonly qualified: string;
  readonly defaultMaxAttempts: number;
  readonly completedRetention: boolean;
  readonly hub: WakeHub;
}

/** Groups claims by lease token (one claim round shares a token), keeping their message ids. */
function byToken(claims: readonly MongoClaim[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const c of claims) {
    const ids = groups.get(c.token);
    if (ids === undefined) groups.set(c.token, [c.id]);
    else ids.push(c.id);
  }
  return groups;
}

/**
 * The {@link ConsumerBackend} of one MongoDB consumer. Every write is filtered by
 * `{ queue, mid, token }`: the (queue, mid) pair is the unique index `mqkit_message_id`, and the
 * token fences a previous lease holder, whose late writes then match nothing.
 *
 * Claim: with `limit` 1, one atomic `findOneAndUpdate` (filter: due and not leased; sort:
 * priority desc, runAt asc) that sets a fresh `token`, `leaseUntil` and `$inc: { attempt: 1 }`.
 * With a larger limit, a round reads up to `limit` candidate ids in claim order, takes them with
 * one `updateMany` whose filter repeats the claimable condition (each document update is atomic,
 * so a document another consumer took in between is skipped, never shared), then reads back the
 * documents carrying this round's token: three round trips for a whole batch. Rounds repeat
 * (at most four) while contention left the batch short.
 */
export function createMongoBackend(p: MongoBackendParams): ConsumerBackend<MongoClaim> {
  const { collection, qualified, defaultMaxAttempts } = p;

  function toClaims(docs: MessageDocument[], out: MongoClaim[]): void {
    for (const doc of docs)
      out.push({ ...toEnvelope(doc, defaultMaxAttempts), token: doc.token as string });
  }

  function deadLetterOp(
    mid: string,
    token: string,
    error: ErrorInfo,
    now: Date,
    maxAttempts: number,
  ): AnyBulkWriteOperation<MessageDocument> {
    return {
      updateOne: {
        filter: { queue: qualified, mid, token },
        update: {
          $set: {
            deadQueue: qualified,
            deadLetteredAt: now,
            lastError: error,
            deadMaxAttempts: maxAttempts,
          },
          $unset: { queue: '', token: '', leaseUntil: '' },
        },
      },
    };
  }

  async function claimOne(leaseMs: number): Promise<MessageDocument[]> {
    const now = new Date();
    const doc = await collection.findOneAndUpdate(
      claimableFilter(qualified, now),
      {
        $set: { token: randomUUID(), leaseUntil: new Date(now.getTime() + leaseMs) },
        $inc: { attempt: 1 },
      },
      { sort: CLAIM_SORT, returnDocument: 'after' },
    );
    return doc === null ? [] : [doc as MessageDocument];
  }

  async function claimMany(limit: number, leaseMs: number): Promise<MessageDocument[]> {
    const docs: MessageDocument[] = [];
    for (let round = 0; round < MAX_CLAIM_ROUNDS && docs.length < limit; round++) {
      const want = limit - docs.length;
      const now = new Date();
      const candidates = await collection
        .find(claimableFilter(qualified, now), {
          projection: { _id: 0, mid: 1 },
          sort: CLAIM_SORT,
          limit: want,
        })
        .toArray();
      if (candidates.length === 0) break;
      const mids = candidates.map((c) => c.mid);
      const token = randomUUID();
      const taken = await collection.updateMany(claimableFilter(qualified, now, mids), {
        $set: { token, leaseUntil: new Date(now.getTime() + leaseMs) },
        $inc: { attempt: 1 },
      });
      if (taken.modifiedCount > 0) {
        const mine = await collection
          .find({ queue: qualified, mid: { $in: mids }, token })
          .toArray();
        for (const doc of mine) docs.push(doc as MessageDocument);
      }
      // Fewer candidates than asked: the queue has no more due messages right now.
      if (candidates.length < want) break;
    }
    return docs.sort(compareClaimOrder);
  }

  return {
    async claim(limit, leaseMs) {
      await p.ready();
      const docs = limit === 1 ? await claimOne(leaseMs) : await claimMany(limit, leaseMs);
      const claims: MongoClaim[] = [];
      toClaims(docs, claims);
      return claims;
    },

    async extend(claims, leaseMs) {
      if (claims.length === 0) return [];
      const mids = claims.map((c) => c.id);
      const tokens = [...new Set(claims.map((c) => c.token))];
      const result = await collection.updateMany(
        { queue: qualified, mid: { $in: mids }, token: { $in: tokens } },
        { $set: { leaseUntil: new Date(Date.now() + leaseMs) } },
      );
      if (result.matchedCount === claims.length) return [];
      // Some lease was lost (expired and taken over, or already settled): find out which.
      const held = await collection
        .find(
          { queue: qualified, mid: { $in: mids } },
          { projection: { _id: 0, mid: 1, token: 1 } },
        )
        .toArray();
      const tokensOf = new Map<string, Set<string | null>>();
      for (const d of held) {
        const set = tokensOf.get(d.mid) ?? new Set();
        set.add(d.token);
        tokensOf.set(d.mid, set);
      }
      return claims.filter((c) => !tokensOf.get(c.id)?.has(c.token));
    },

    async settle(outcomes: Outcomes<MongoClaim>) {
      const now = new Date();
      const ops: AnyBulkWriteOperation<MessageDocument>[] = [];
      // Acknowledged and released messages of one claim round share a token: one write each.
      for (const [token, mids] of byToken(outcomes.acked)) {
        const filter = { queue: qualified, mid: { $in: mids }, token };
        ops.push(
          p.completedRetention
            ? {
                updateMany: {
                  filter,
                  update: {
                    $set: { doneQueue: qualified, completedAt: now },
                    $unset: { queue: '', token: '', leaseUntil: '' },
                  },
                },
              }
            : { deleteMany: { filter } },
        );
      }
      for (const r of outcomes.retried) {
        ops.push({
          updateOne: {
            filter: { queue: qualified, mid: r.claim.id, token: r.claim.token },
            update: {
              $set: {
                runAt: new Date(now.getTime() + r.delayMs),
                leaseUntil: null,
                token: null,
                lastError: r.error,
              },
            },
          },
        });
      }
      for (const d of outcomes.deadLettered) {
        const { id, token, maxAttempts } = d.claim;
        ops.push(deadLetterOp(id, token, d.error, now, maxAttempts));
      }
      for (const [token, mids] of byToken(outcomes.released)) {
        ops.push({
          updateMany: {
            filter: { queue: qualified, mid: { $in: mids }, token },
            update: { $set: { leaseUntil: null, token: null }, $inc: { attempt: -1 } },
          },
        });
      }
      if (ops.length === 0) return;
      await collection.bulkWrite(ops, { ordered: false });
      // Released messages are due now: let another idle consumer of this instance take them.
      if (outcomes.released.length > 0) p.hub.notify(qualified);
    },

    waitForWork(timeoutMs, signal) {
      return p.hub.wait(qualified, timeoutMs, signal);
    },

    close() {
      p.hub.release();
    },
  };
}

import { randomUUID } from 'node:crypto';
import type {
  Claim,
  ConsumerBackend,
  ErrorInfo,
  LifecycleDispatcher,
  Logger,
  Outcomes,
  Serializer,
} from '@mqkit/core';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import {
  CLAIM_SORT,
  claimableFilter,
  compareClaimOrder,
  type MessageDocument,
  toMessage,
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
  /** Queue as the application sees it, and as stored. */
  readonly queue: string;
  readonly qualified: string;
  readonly serializer: Serializer;
  readonly defaultMaxAttempts: number;
  readonly completedRetention: boolean;
  readonly hub: WakeHub;
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  readonly provider: string;
}

/** Groups claims by lease token (one claim round shares a token), keeping their message ids. */
function byToken(claims: readonly MongoClaim[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const c of claims) {
    const ids = groups.get(c.token);
    if (ids === undefined) groups.set(c.token, [c.message.id]);
    else ids.push(c.message.id);
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
  const { collection, queue, qualified, serializer, defaultMaxAttempts, logger } = p;

  function toClaims(docs: MessageDocument[], out: MongoClaim[], poison: MessageDocument[]): void {
    for (const doc of docs) {
      try {
        out.push({
          message: toMessage(doc, queue, serializer, defaultMaxAttempts),
          token: doc.token as string,
        });
      } catch {
        poison.push(doc);
      }
    }
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

  // A payload the serializer cannot read would fail every claim: dead-letter it at once instead.
  async function deadLetterPoison(docs: MessageDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const error: ErrorInfo = {
      name: 'SerializationError',
      code: 'MQKIT_SERIALIZATION',
      message: `serializer "${serializer.name}" could not deserialise the stored payload`,
    };
    const now = new Date();
    await collection.bulkWrite(
      docs.map((doc) =>
        deadLetterOp(
          doc.mid,
          doc.token as string,
          error,
          now,
          doc.maxAttempts ?? defaultMaxAttempts,
        ),
      ),
      { ordered: false },
    );
    logger.warn(
      { queue, count: docs.length, ids: docs.map((d) => d.mid) },
      'dead-lettered messages whose payload could not be deserialised',
    );
    if (p.lifecycle.active) {
      for (const doc of docs) {
        p.lifecycle.emit({
          type: 'deadLettered',
          provider: p.provider,
          queue,
          message: {
            id: doc.mid,
            type: doc.type,
            attempt: doc.attempt,
            createdAt: doc.createdAt,
            partitionKey: doc.partitionKey ?? undefined,
          },
          error,
          reason: 'poison',
        });
      }
    }
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
      const poison: MessageDocument[] = [];
      toClaims(docs, claims, poison);
      await deadLetterPoison(poison);
      return claims;
    },

    async extend(claims, leaseMs) {
      if (claims.length === 0) return [];
      const mids = claims.map((c) => c.message.id);
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
      return claims.filter((c) => !tokensOf.get(c.message.id)?.has(c.token));
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
            filter: { queue: qualified, mid: r.claim.message.id, token: r.claim.token },
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
        const { message, token } = d.claim;
        ops.push(deadLetterOp(message.id, token, d.error, now, message.maxAttempts));
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

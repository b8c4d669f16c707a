import type { Message, Serializer } from '@mqkit/core';
import { decodeEnvelopeLenient } from '@mqkit/core/provider';
import type { Collection } from 'mongodb';
import {
  CLAIM_SORT,
  claimableFilter,
  type MessageDocument,
  toEnvelope,
} from '../schema/document.js';

/**
 * `peek()`: the next claimable documents of the qualified queue `stored` in claim order
 * ({@link CLAIM_SORT} through the `mqkit_claim` index), read without taking a lease.
 */
export async function peekMessages(
  collection: Collection<MessageDocument>,
  params: { readonly serializer: Serializer; readonly defaultMaxAttempts: number },
  stored: string,
  queue: string,
  limit: number,
): Promise<Message[]> {
  const docs = await collection
    .find(claimableFilter(stored, new Date()), { sort: CLAIM_SORT, limit })
    .toArray();
  return docs.map((doc) => {
    const envelope = toEnvelope(doc, params.defaultMaxAttempts);
    // A peek shows the attempt a claim would make next.
    return decodeEnvelopeLenient(
      { ...envelope, attempt: envelope.attempt + 1 },
      queue,
      params.serializer,
    );
  });
}

/** `queues()`: the qualified names of live and dead-lettered messages (two `distinct` reads). */
export async function readQueueNames(collection: Collection<MessageDocument>): Promise<string[]> {
  const [live, dead] = await Promise.all([
    collection.distinct('queue'),
    collection.distinct('deadQueue'),
  ]);
  return [...live, ...dead].filter((name): name is string => typeof name === 'string');
}

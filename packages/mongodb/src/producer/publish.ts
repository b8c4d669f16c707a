import type { PreparedMessage } from '@mqkit/core/provider';
import type { Collection } from 'mongodb';
import type { MessageDocument } from '../schema/document.js';

/** Builds the stored document of a prepared message. */
export function toDocument(
  prepared: PreparedMessage,
  id: string,
  qualified: string,
  now: number,
): MessageDocument {
  return {
    queue: qualified,
    mid: id,
    type: prepared.type,
    body: prepared.body,
    headers: prepared.headers,
    partitionKey: prepared.partitionKey ?? null,
    priority: prepared.priority,
    maxAttempts: prepared.maxAttempts ?? null,
    attempt: 0,
    createdAt: new Date(now),
    runAt: prepared.runAt ?? new Date(now + prepared.delayMs),
    leaseUntil: null,
    token: null,
  };
}

function onlyDuplicateKeys(error: unknown): boolean {
  const e = error as { code?: unknown; writeErrors?: unknown };
  const writeErrors = Array.isArray(e.writeErrors)
    ? (e.writeErrors as { code?: unknown }[])
    : e.writeErrors !== undefined
      ? [e.writeErrors as { code?: unknown }]
      : [];
  if (writeErrors.length === 0) return e.code === 11000;
  return writeErrors.every((w) => w.code === 11000);
}

/**
 * Inserts `docs`, skipping those whose id is already live in the queue (deduplication). Ids given
 * by the caller are checked first (one indexed query); on real MongoDB the unique index
 * `mqkit_message_id` also rejects an id a concurrent publisher inserted in between, which is
 * treated as a duplicate, not an error. Resolves to the documents actually inserted.
 */
export async function insertDeduplicated(
  collection: Collection<MessageDocument>,
  qualified: string,
  docs: MessageDocument[],
  givenIds: string[],
): Promise<MessageDocument[]> {
  let fresh = docs;
  if (givenIds.length > 0) {
    const existing = await collection
      .find({ queue: qualified, mid: { $in: givenIds } }, { projection: { mid: 1 } })
      .toArray();
    const seen = new Set(existing.map((d) => d.mid));
    fresh = [];
    for (const doc of docs) {
      if (seen.has(doc.mid)) continue;
      seen.add(doc.mid); // the same id twice in one batch: the first wins
      fresh.push(doc);
    }
  }
  if (fresh.length === 0) return fresh;
  try {
    await collection.insertMany(fresh, { ordered: false });
    return fresh;
  } catch (error) {
    if (!onlyDuplicateKeys(error)) throw error;
    const raw = (error as { writeErrors?: unknown }).writeErrors;
    const failed = new Set(
      (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(
        (w: { index?: number }) => w.index,
      ),
    );
    return fresh.filter((_, i) => !failed.has(i));
  }
}

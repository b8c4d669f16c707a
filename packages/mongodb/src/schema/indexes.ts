import type { Collection, CreateIndexesOptions, IndexSpecification } from 'mongodb';
import type { MessageDocument } from './document.js';

/** One index created by `init()`. */
export interface IndexDefinition {
  readonly key: IndexSpecification;
  readonly options: CreateIndexesOptions & { name: string };
}

/** How long finished messages are kept (TTL indexes). Undefined: completed deleted at once, dead letters kept. */
export interface RetentionOptions {
  /** Keep acknowledged messages this long (ms) before a TTL index removes them. Default: delete on acknowledgement. */
  completedMs?: number;
  /** Remove dead letters this long (ms) after they were dead-lettered. Default: keep until purged. */
  deadLettersMs?: number;
}

/**
 * The indexes of a message collection. TTL indexes are single-field by MongoDB's rules; the
 * server's TTL monitor runs about once a minute, so removal is not instant.
 */
export function indexDefinitions(retention: RetentionOptions): IndexDefinition[] {
  const list: IndexDefinition[] = [
    // The claim query: equality on queue, sort priority desc then runAt, range on runAt; the
    // trailing leaseUntil lets the server reject leased entries from the index without a fetch.
    {
      key: { queue: 1, priority: -1, runAt: 1, leaseUntil: 1 },
      options: { name: 'mqkit_claim' },
    },
    // Leases by expiry: finds expired or in-flight messages of a queue (operations, monitoring).
    {
      key: { queue: 1, leaseUntil: 1 },
      options: {
        name: 'mqkit_lease_expiry',
        partialFilterExpression: { token: { $type: 'string' } },
      },
    },
    // Deduplication: one live message per (queue, id). Dead-lettered and completed documents
    // carry no `queue` field, so they are outside this partial index.
    {
      key: { queue: 1, mid: 1 },
      options: {
        name: 'mqkit_message_id',
        unique: true,
        partialFilterExpression: { queue: { $exists: true } },
      },
    },
    // Dead letters of a queue, oldest first.
    {
      key: { deadQueue: 1, deadLetteredAt: 1 },
      options: {
        name: 'mqkit_dead_letters',
        partialFilterExpression: { deadQueue: { $exists: true } },
      },
    },
  ];
  if (retention.completedMs !== undefined) {
    list.push({
      key: { completedAt: 1 },
      options: {
        name: 'mqkit_completed_ttl',
        expireAfterSeconds: Math.ceil(retention.completedMs / 1000),
      },
    });
  }
  if (retention.deadLettersMs !== undefined) {
    list.push({
      key: { deadLetteredAt: 1 },
      options: {
        name: 'mqkit_dead_letter_ttl',
        expireAfterSeconds: Math.ceil(retention.deadLettersMs / 1000),
      },
    });
  }
  return list;
}

/** MongoDB's IndexOptionsConflict / IndexKeySpecsConflict: an index of that name exists with other options. */
const OPTIONS_CONFLICT = new Set([85, 86]);

/**
 * Creates the indexes of {@link indexDefinitions}; idempotent. A TTL index whose retention changed
 * is updated in place with `collMod` instead of failing.
 */
export async function ensureIndexes(
  collection: Collection<MessageDocument>,
  retention: RetentionOptions,
): Promise<void> {
  for (const { key, options } of indexDefinitions(retention)) {
    try {
      await collection.createIndex(key, options);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'number' || !OPTIONS_CONFLICT.has(code)) throw error;
      if (options.expireAfterSeconds === undefined) throw error;
      await collection.db.command({
        collMod: collection.collectionName,
        index: { name: options.name, expireAfterSeconds: options.expireAfterSeconds },
      });
    }
  }
}

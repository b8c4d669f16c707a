import type { DeadLetter, DeadLetterStore, ErrorInfo, Message, Serializer } from '@mqkit/core';
import {
  assertQueueName,
  decodeEnvelopeLenient,
  qualifyQueueName,
  type ResolvedDeadLetterFilter,
  resolveDeadLetterFilter,
  toBackendError,
} from '@mqkit/core/provider';
import type { Collection, Filter, ObjectId } from 'mongodb';
import { type MessageDocument, toEnvelope } from '../schema/document.js';

const PROVIDER = 'mongodb';
/** Ids per `$in` list when replaying or purging many dead letters. */
const CHUNK = 1_000;

/** What the dead-letter store needs from its queue instance. */
export interface DeadLetterStoreParams {
  readonly collection: () => Collection<MessageDocument>;
  readonly ready: () => Promise<void>;
  readonly namespace: string | undefined;
  readonly serializer: Serializer;
  /** The consumers' default `maxAttempts`, for documents that predate `deadMaxAttempts`. */
  readonly defaultMaxAttempts: number;
  /** Wakes idle consumers of a qualified queue after a replay. */
  readonly notify: (qualified: string) => void;
}

const UNKNOWN_ERROR: ErrorInfo = { name: 'Error', message: 'unknown' };

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: unknown; writeErrors?: { code?: unknown }[] };
  return e.code === 11000 || (e.writeErrors?.some((w) => w.code === 11000) ?? false);
}

async function backend<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // Only driver errors become BackendError; mqkit errors and a `where` predicate's own pass through.
    if (!(error instanceof Error) || !error.name.startsWith('Mongo')) throw error;
    throw toBackendError(PROVIDER, `dead letters: ${operation}`, error);
  }
}

/**
 * Dead letters live in the message collection with `deadQueue` instead of `queue` (moved there by
 * one fenced update), so `list`, `count`, `inspect`, `replay` and `purge` are plain queries on the
 * `mqkit_dead_letters` index. `where` predicates run client-side after the indexed criteria.
 */
export function createDeadLetterStore<Msg extends Message = Message>(
  p: DeadLetterStoreParams,
): DeadLetterStore<Msg> {
  type D = DeadLetter<Msg>;
  const qualify = (queue: string): string => {
    assertQueueName(queue, PROVIDER);
    return qualifyQueueName(p.namespace, queue);
  };

  const view = (doc: MessageDocument, queue: string): D => ({
    // A payload the serializer cannot read (a poison message) is shown as its stored text.
    message: decodeEnvelopeLenient(
      toEnvelope(doc, doc.deadMaxAttempts ?? doc.maxAttempts ?? p.defaultMaxAttempts),
      queue,
      p.serializer,
    ) as Msg,
    error: doc.lastError ?? UNKNOWN_ERROR,
    attempts: doc.attempt,
    deadLetteredAt: doc.deadLetteredAt ?? new Date(0),
  });

  const query = (qualified: string, filter: ResolvedDeadLetterFilter<D>) => {
    const q: Filter<MessageDocument> = { deadQueue: qualified };
    if (filter.ids !== undefined) q.mid = { $in: [...filter.ids] };
    if (filter.type !== undefined) q.type = filter.type;
    if (filter.before !== undefined) q.deadLetteredAt = { $lt: filter.before };
    return q;
  };

  /** Matching documents, oldest first, with the `where` predicate applied. */
  async function select(
    queue: string,
    filter: ResolvedDeadLetterFilter<D>,
    skip = 0,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<{ doc: MessageDocument; deadLetter: D }[]> {
    const qualified = qualify(queue);
    await p.ready();
    const where = filter.where;
    const cursor = p
      .collection()
      .find(query(qualified, filter), { sort: { deadLetteredAt: 1, _id: 1 } });
    if (where === undefined) {
      if (skip > 0) cursor.skip(skip);
      if (Number.isFinite(limit)) cursor.limit(limit);
    }
    const out: { doc: MessageDocument; deadLetter: D }[] = [];
    let skipped = 0;
    for await (const raw of cursor) {
      const doc = raw as MessageDocument;
      const deadLetter = view(doc, queue);
      if (where !== undefined) {
        if (!where(deadLetter)) continue;
        if (skipped < skip) {
          skipped++;
          continue;
        }
      }
      out.push({ doc, deadLetter });
      if (out.length >= limit) {
        await cursor.close();
        break;
      }
    }
    return out;
  }

  return {
    async list(queue, options) {
      qualify(queue);
      const filter = resolveDeadLetterFilter<D>(options, PROVIDER, 'list');
      return backend('list', async () =>
        (await select(queue, filter, filter.offset, filter.limit)).map((e) => e.deadLetter),
      );
    },

    async count(queue) {
      const qualified = qualify(queue);
      return backend('count', async () => {
        await p.ready();
        return p.collection().countDocuments({ deadQueue: qualified });
      });
    },

    async inspect(queue, id) {
      const qualified = qualify(queue);
      return backend('inspect', async () => {
        await p.ready();
        const doc = await p
          .collection()
          .findOne({ deadQueue: qualified, mid: id }, { sort: { deadLetteredAt: -1 } });
        return doc === null ? undefined : view(doc as MessageDocument, queue);
      });
    },

    async replay(queue, options) {
      const qualified = qualify(queue);
      const filter = resolveDeadLetterFilter<D>(options, PROVIDER, 'replay');
      return backend('replay', async () => {
        const entries = await select(queue, filter);
        if (entries.length === 0) return 0;
        const collection = p.collection();
        // A dead letter whose id is live again (re-published) stays dead: ids are unique per queue.
        const live = new Set<string>();
        for (const mids of chunks(entries.map((e) => e.doc.mid))) {
          const found = await collection
            .find({ queue: qualified, mid: { $in: mids } }, { projection: { mid: 1 } })
            .toArray();
          for (const d of found) live.add(d.mid);
        }
        const ids: ObjectId[] = [];
        for (const { doc } of entries) {
          if (live.has(doc.mid)) continue;
          live.add(doc.mid); // the same id dead-lettered twice is replayed once
          ids.push(doc._id as ObjectId);
        }
        const update = {
          $set: { queue: qualified, attempt: 0, runAt: new Date(), leaseUntil: null, token: null },
          $unset: { deadQueue: '', deadLetteredAt: '', deadMaxAttempts: '', lastError: '' },
        } as const;
        let replayed = 0;
        for (const chunk of chunks(ids)) {
          try {
            const r = await collection.updateMany(
              { _id: { $in: chunk }, deadQueue: qualified },
              update,
            );
            replayed += r.modifiedCount;
          } catch (error) {
            // Real MongoDB: a publisher raced us to an id (unique index). Go one by one.
            if (!isDuplicateKey(error)) throw error;
            for (const _id of chunk) {
              try {
                const r = await collection.updateOne({ _id, deadQueue: qualified }, update);
                replayed += r.modifiedCount;
              } catch (inner) {
                if (!isDuplicateKey(inner)) throw inner;
              }
            }
          }
        }
        if (replayed > 0) p.notify(qualified);
        return replayed;
      });
    },

    async purge(queue, options) {
      const qualified = qualify(queue);
      const filter = resolveDeadLetterFilter<D>(options, PROVIDER, 'purge');
      return backend('purge', async () => {
        if (filter.where === undefined) {
          await p.ready();
          return (await p.collection().deleteMany(query(qualified, filter))).deletedCount;
        }
        const entries = await select(queue, filter);
        let purged = 0;
        for (const chunk of chunks(entries.map((e) => e.doc._id as ObjectId))) {
          purged += (await p.collection().deleteMany({ _id: { $in: chunk }, deadQueue: qualified }))
            .deletedCount;
        }
        return purged;
      });
    },
  };
}

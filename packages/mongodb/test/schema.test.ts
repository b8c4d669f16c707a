import { describe, expect, it } from 'vitest';
import {
  claimableFilter,
  compareClaimOrder,
  type MessageDocument,
  toEnvelope,
} from '../src/schema/document.js';
import { indexDefinitions } from '../src/schema/indexes.js';

const doc = (fields: Partial<MessageDocument>): MessageDocument => ({
  mid: 'm',
  type: 't',
  body: '1',
  headers: {},
  partitionKey: null,
  priority: 0,
  maxAttempts: null,
  attempt: 1,
  createdAt: new Date(0),
  runAt: new Date(0),
  leaseUntil: null,
  token: null,
  ...fields,
});

describe('claim order', () => {
  it('sorts higher priority first, then earlier runAt', () => {
    const docs = [
      doc({ mid: 'late', runAt: new Date(2) }),
      doc({ mid: 'urgent', priority: 5, runAt: new Date(9) }),
      doc({ mid: 'early', runAt: new Date(1) }),
    ];
    expect(docs.sort(compareClaimOrder).map((d) => d.mid)).toEqual(['urgent', 'early', 'late']);
  });

  it('matches due, unleased or lease-expired messages, with the id list right after queue', () => {
    const now = new Date(1_000);
    expect(Object.keys(claimableFilter('q', now, ['a']))).toEqual(['queue', 'mid', 'runAt', '$or']);
    expect(claimableFilter('q', now)).toEqual({
      queue: 'q',
      runAt: { $lte: now },
      $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
    });
  });
});

describe('toEnvelope', () => {
  it("uses the message's own maxAttempts, else the consumer's", () => {
    expect(toEnvelope(doc({ maxAttempts: 2 }), 5).maxAttempts).toBe(2);
    expect(toEnvelope(doc({}), 5).maxAttempts).toBe(5);
  });

  it('keeps the stored payload text for the kit to decode', () => {
    expect(toEnvelope(doc({ body: '{' }), 5)).toMatchObject({ id: 'm', body: '{', attempt: 1 });
  });
});

describe('indexDefinitions', () => {
  it('adds TTL indexes only for the retention that is set, rounding up to whole seconds', () => {
    const names = (r: object) => indexDefinitions(r).map((i) => i.options.name);
    expect(names({})).toEqual([
      'mqkit_claim',
      'mqkit_lease_expiry',
      'mqkit_message_id',
      'mqkit_dead_letters',
    ]);
    const ttl = indexDefinitions({ completedMs: 1_500 }).find(
      (i) => i.options.name === 'mqkit_completed_ttl',
    );
    expect(ttl?.options.expireAfterSeconds).toBe(2);
    expect(names({ deadLettersMs: 1_000 })).toContain('mqkit_dead_letter_ttl');
  });
});

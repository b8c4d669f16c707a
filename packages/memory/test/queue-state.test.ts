// The memory store's queue state, driven directly with explicit clocks: claim order (priority,
// then due time, then publish order), delays and their boundary, lease fencing by token, lease
// expiry at its exact instant, partition-key groups, deduplication by caller-chosen id, and the
// counts stats() reports. A flipped comparison or a dropped fence here must fail a case.
import { describe, expect, it } from 'vitest';
import { QueueState, type RecordFields, type StoredMessage } from '../src/store.js';
import { recordFields as fields } from './record-fixture.js';

const ids = (records: readonly StoredMessage[]): string[] => records.map((r) => r.id);

function stateWith(...records: [string, Partial<RecordFields>?][]): QueueState {
  const state = new QueueState();
  for (const [id, over] of records) expect(state.add(state.create(fields(id, over)), 0)).toBe(true);
  return state;
}

describe('QueueState: claim order', () => {
  it('higher priority first, then publish order; the limit is exact', () => {
    const state = stateWith(
      ['a'],
      ['b', { priority: 5 }],
      ['c'],
      ['d', { priority: -1 }],
      ['e', { priority: 5 }],
    );
    expect(ids(state.claim(3, 1_000, 0))).toEqual(['b', 'e', 'a']);
    expect(ids(state.claim(1, 1_000, 0))).toEqual(['c']);
    expect(ids(state.claim(10, 1_000, 0))).toEqual(['d']);
    expect(state.claim(10, 1_000, 0)).toEqual([]);
  });

  it('delayed messages: due at their instant (not before), earliest first, ties in publish order', () => {
    const state = new QueueState();
    for (const [id, runAt] of [
      ['late', 300],
      ['early', 100],
      ['tie-1', 200],
      ['tie-2', 200],
    ] as const)
      state.add(state.create(fields(id, { runAt })), 0);
    expect(state.claim(10, 1_000, 99)).toEqual([]);
    expect(state.counts(99).delayed).toBe(4);
    expect(ids(state.claim(10, 1_000, 100))).toEqual(['early']);
    expect(ids(state.claim(10, 1_000, 300))).toEqual(['tie-1', 'tie-2', 'late']);
  });

  it('every claim takes a new lease: attempt counted, a fresh token, the lease until now + leaseMs', () => {
    const state = stateWith(['a'], ['b']);
    const [a, b] = state.claim(2, 500, 10) as StoredMessage[];
    expect(a?.attempt).toBe(1);
    expect(a?.leaseUntil).toBe(510);
    expect(a?.state).toBe('leased');
    expect(b?.token).toBeGreaterThan(a?.token as number);
  });
});

describe('QueueState: lease fencing', () => {
  it('ack, retry, release, extend and dead-letter need the current token of a leased record', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 1_000, 0) as [StoredMessage];
    const stale = a.token - 1;
    expect(state.ack(a, stale, 0)).toBe(false);
    expect(state.retry(a, stale, 10, 0)).toBe(false);
    expect(state.release(a, stale, 0)).toBe(false);
    expect(state.extend(a, stale, 5_000, 0)).toBe(false);
    expect(state.deadLetter(a, stale, { name: 'E', message: 'm' }, 3, 0)).toBe(false);
    expect(a.state).toBe('leased');
    expect(a.leaseUntil).toBe(1_000);
    expect(state.deadLetters).toHaveLength(0);
    expect(state.size).toBe(1);
    expect(state.extend(a, a.token, 5_000, 10)).toBe(true);
    expect(a.leaseUntil).toBe(5_010);
    const token = a.token;
    expect(state.ack(a, token, 20)).toBe(true);
    expect(a.state).toBe('gone');
    expect(state.size).toBe(0);
    // Settled: the same token no longer holds anything.
    expect(state.ack(a, token, 20)).toBe(false);
    expect(state.extend(a, token, 5_000, 20)).toBe(false);
    expect(state.counts(20)).toMatchObject({ ready: 0, inFlight: 0 });
  });

  it('an expired lease: the record is due again at exactly leaseUntil, and the old token is void', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 100, 0) as [StoredMessage];
    const old = a.token;
    expect(state.nextDueIn(40)).toBe(60);
    expect(state.claim(1, 100, 99)).toEqual([]);
    expect(state.counts(99)).toMatchObject({ ready: 0, inFlight: 1 });
    expect(state.claim(1, 100, 100)).toEqual([a]);
    expect(a.attempt).toBe(2);
    expect(state.ack(a, old, 100)).toBe(false);
    expect(state.ack(a, a.token, 100)).toBe(true);
  });

  it('an extended lease does not expire at its first deadline', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 100, 0) as [StoredMessage];
    expect(state.extend(a, a.token, 100, 90)).toBe(true);
    expect(state.claim(1, 100, 150)).toEqual([]);
    expect(state.claim(1, 100, 190)).toEqual([a]);
  });

  it('retry: the lease ends, due after the delay, the attempt kept', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 1_000, 0) as [StoredMessage];
    expect(state.retry(a, a.token, 50, 10)).toBe(true);
    expect(a.state).toBe('delayed');
    expect(state.counts(10)).toMatchObject({ ready: 0, delayed: 1, inFlight: 0 });
    expect(state.claim(1, 1_000, 59)).toEqual([]);
    expect(state.claim(1, 1_000, 60)).toEqual([a]);
    expect(a.attempt).toBe(2);
  });

  it('release: due at once and the attempt given back', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 1_000, 0) as [StoredMessage];
    expect(state.release(a, a.token, 5)).toBe(true);
    expect(a.attempt).toBe(0);
    expect(a.runAt).toBe(5);
    expect(state.counts(5)).toMatchObject({ ready: 1, inFlight: 0, oldestReadyAt: 5 });
    expect(state.claim(1, 1_000, 5)).toEqual([a]);
    expect(a.attempt).toBe(1);
  });

  it('dead letter: the record leaves the queue with its attempts and error', () => {
    const state = stateWith(['a']);
    const [a] = state.claim(1, 1_000, 0) as [StoredMessage];
    const error = { name: 'Boom', message: 'no' };
    expect(state.deadLetter(a, a.token, error, 3, 7)).toBe(true);
    expect(state.deadLetters).toEqual([
      { record: a, error, attempts: 1, maxAttempts: 3, deadLetteredAt: 7 },
    ]);
    expect(state.counts(7)).toEqual({
      ready: 0,
      delayed: 0,
      inFlight: 0,
      deadLettered: 1,
      oldestReadyAt: undefined,
    });
  });
});

describe('QueueState: ids, keys and counts', () => {
  it('a caller-chosen id is unique while live, free again once the message is gone', () => {
    const state = new QueueState();
    const first = state.create(fields('x'));
    expect(state.add(first, 0)).toBe(true);
    expect(state.has('x')).toBe(true);
    expect(state.add(state.create(fields('x')), 0)).toBe(false);
    expect(state.size).toBe(1);
    const [a] = state.claim(1, 1_000, 0) as [StoredMessage];
    expect(state.ack(a, a.token, 0)).toBe(true);
    expect(state.has('x')).toBe(false);
    expect(state.add(state.create(fields('x')), 0)).toBe(true);
  });

  it('generated ids are not indexed (and so not deduplicated)', () => {
    const state = new QueueState();
    expect(state.add(state.create(fields('g')), 0, false)).toBe(true);
    expect(state.has('g')).toBe(false);
    expect(state.add(state.create(fields('g')), 0, false)).toBe(true);
    expect(state.size).toBe(2);
  });

  it('one partition key: only the head is claimable; the next is due when the head is gone', () => {
    const state = stateWith(['k1', { partitionKey: 'k' }], ['k2', { partitionKey: 'k' }], ['free']);
    const first = state.claim(10, 1_000, 0);
    expect(ids(first)).toEqual(['k1', 'free']);
    expect(state.counts(0)).toMatchObject({ inFlight: 2 });
    expect(state.claim(10, 1_000, 0)).toEqual([]);
    const k1 = first[0] as StoredMessage;
    // A retry keeps the key's turn: k1 comes back before k2.
    expect(state.retry(k1, k1.token, 0, 0)).toBe(true);
    expect(ids(state.claim(10, 1_000, 0))).toEqual(['k1']);
    expect(state.ack(k1, k1.token, 1)).toBe(true);
    expect(ids(state.claim(10, 1_000, 1))).toEqual(['k2']);
  });

  it('a delayed head keeps the rest of its key waiting; a dead-lettered head lets it go', () => {
    const state = stateWith(
      ['k1', { partitionKey: 'k', runAt: 50 }],
      ['k2', { partitionKey: 'k' }],
    );
    expect(state.claim(10, 1_000, 0)).toEqual([]);
    const [k1] = state.claim(10, 1_000, 50) as [StoredMessage];
    expect(k1.id).toBe('k1');
    expect(state.deadLetter(k1, k1.token, { name: 'E', message: 'm' }, 1, 50)).toBe(true);
    expect(ids(state.claim(10, 1_000, 50))).toEqual(['k2']);
  });

  it('counts: ready, delayed, in flight, dead letters and the oldest due time', () => {
    const state = new QueueState();
    state.add(state.create(fields('due-10', { runAt: 10 })), 20);
    state.add(state.create(fields('due-5', { runAt: 5, priority: 1 })), 20);
    state.add(state.create(fields('later', { runAt: 100 })), 20);
    expect(state.counts(20)).toEqual({
      ready: 2,
      delayed: 1,
      inFlight: 0,
      deadLettered: 0,
      oldestReadyAt: 5,
    });
    const [top] = state.claim(1, 1_000, 20) as [StoredMessage];
    expect(top.id).toBe('due-5');
    expect(state.counts(20)).toMatchObject({ ready: 1, inFlight: 1, oldestReadyAt: 10 });
    expect(state.counts(100)).toMatchObject({ ready: 2, delayed: 0, oldestReadyAt: 10 });
    // Nothing delayed is left; the next change is the lease of due-5 (taken at 20 for 1 000 ms).
    expect(state.nextDueIn(20)).toBe(1_000);
  });

  it('nextDueIn: the sooner of the next delayed message and the next lease expiry, never negative', () => {
    const state = new QueueState();
    expect(state.nextDueIn(0)).toBe(Number.POSITIVE_INFINITY);
    state.add(state.create(fields('d', { runAt: 300 })), 0);
    expect(state.nextDueIn(100)).toBe(200);
    state.add(state.create(fields('n')), 0);
    state.claim(1, 150, 0);
    expect(state.nextDueIn(100)).toBe(50);
    expect(state.nextDueIn(400)).toBe(0);
  });

  it('peek: due messages in claim order without claiming them, skipping leased ones', () => {
    const state = stateWith(['a'], ['b', { priority: 2 }], ['c'], ['d', { runAt: 50 }]);
    expect(ids(state.peek(10, 0))).toEqual(['b', 'a', 'c']);
    expect(ids(state.peek(2, 0))).toEqual(['b', 'a']);
    expect(state.counts(0)).toMatchObject({ ready: 3, inFlight: 0 });
    const [b] = state.claim(1, 1_000, 0) as [StoredMessage];
    expect(ids(state.peek(10, 0))).toEqual(['a', 'c']);
    expect(state.release(b, b.token, 0)).toBe(true);
    // Released b is listed once, after the others (it re-entered its priority's queue).
    expect(ids(state.peek(10, 50))).toEqual(['b', 'a', 'c', 'd']);
  });
});

// OutcomeBuffer's write policy with one write in flight (the default): what waits for a write,
// when a write starts, what a failed write does to the failure count and back-off, giving up,
// and when whenSettled resolves.
import { describe, expect, it } from 'vitest';
import {
  type Claim,
  OutcomeBuffer,
  type OutcomeBufferHooks,
  type Outcomes,
  takeOutcomes,
} from '../src/provider.js';
import { testClaim } from './claim-fixture.js';

const turn = () => new Promise((r) => setTimeout(r, 0));
const error = { name: 'E', message: 'm' };
const ids = (o: Outcomes): string[] => [
  ...o.acked.map((c) => c.id),
  ...o.retried.map((r) => `r:${r.claim.id}`),
  ...o.deadLettered.map((d) => `d:${d.claim.id}`),
  ...o.released.map((c) => `x:${c.id}`),
];

/** Writes that complete when the test says so; every call is listed. */
function gatedWrites() {
  const calls: { what: string[]; done: (e?: Error) => void }[] = [];
  const write = (o: Outcomes): Promise<void> =>
    new Promise((resolve, reject) => {
      calls.push({ what: ids(o), done: (e) => (e ? reject(e) : resolve()) });
    });
  return { calls, write };
}

function recordingHooks(over: Partial<OutcomeBufferHooks> = {}) {
  const log: string[] = [];
  const hooks: OutcomeBufferHooks = {
    onWriteError: (e) => void log.push(`error ${(e as Error).message}`),
    retryDelayMs: (failures) => {
      log.push(`backoff after ${failures}`);
      return 1;
    },
    mayGiveUp: () => false,
    onGiveUp: (count) => void log.push(`gave up ${count}`),
    onWritten: () => void log.push('written'),
    signal: () => new AbortController().signal,
    ...over,
  };
  return { log, hooks };
}

describe('OutcomeBuffer: one write at a time', () => {
  it('nothing is written before schedule(); what arrives during a write goes into the next one', async () => {
    const w = gatedWrites();
    const { log, hooks } = recordingHooks();
    const buffer = new OutcomeBuffer<Claim>(w.write, hooks);
    buffer.ack(testClaim('a'));
    await turn();
    expect(w.calls).toHaveLength(0);
    expect(buffer.unwritten()).toBe(1);
    buffer.schedule();
    await turn();
    expect(w.calls.map((c) => c.what)).toEqual([['a']]);
    buffer.ack(testClaim('b'));
    buffer.retry({ claim: testClaim('c'), delayMs: 1, error });
    buffer.schedule();
    buffer.schedule(true); // urgent or not: one write at a time by default
    await turn();
    expect(w.calls).toHaveLength(1);
    expect(buffer.unwritten()).toBe(3);
    const held: Claim[] = [];
    buffer.collectHeld(held);
    expect(held.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
    w.calls[0]?.done();
    await turn();
    expect(log).toEqual(['written']);
    expect(w.calls.map((c) => c.what)).toEqual([['a'], ['b', 'r:c']]);
    expect(buffer.unwritten()).toBe(2);
    w.calls[1]?.done();
    await turn();
    expect(buffer.unwritten()).toBe(0);
    expect(log).toEqual(['written', 'written']);
  });

  it('collectHeld lists every kind of outcome not yet written', () => {
    const buffer = new OutcomeBuffer<Claim>(async () => {}, recordingHooks().hooks);
    buffer.ack(testClaim('a'));
    buffer.release(testClaim('b'));
    buffer.retry({ claim: testClaim('c'), delayMs: 1, error });
    buffer.deadLetter({ claim: testClaim('d'), error, reason: 'poison' });
    const held: Claim[] = [];
    buffer.collectHeld(held);
    expect(held.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('whenSettled: at once when nothing is pending, else after the last write completes', async () => {
    const w = gatedWrites();
    const buffer = new OutcomeBuffer<Claim>(w.write, recordingHooks().hooks);
    let settled = false;
    await buffer.whenSettled();
    buffer.ack(testClaim('a'));
    void buffer.whenSettled().then(() => {
      settled = true;
    });
    await turn();
    expect(w.calls).toHaveLength(1);
    buffer.ack(testClaim('b'));
    w.calls[0]?.done();
    await turn();
    expect(settled).toBe(false);
    expect(w.calls.map((c) => c.what)).toEqual([['a'], ['b']]);
    w.calls[1]?.done();
    await turn();
    expect(settled).toBe(true);
  });
});

describe('OutcomeBuffer: failed writes', () => {
  it('counts consecutive failures for the back-off, resets on success, and rewrites the failed outcomes first', async () => {
    const w = gatedWrites();
    const { log, hooks } = recordingHooks();
    const buffer = new OutcomeBuffer<Claim>(w.write, hooks);
    buffer.ack(testClaim('a'));
    buffer.schedule();
    await turn();
    buffer.ack(testClaim('b'));
    w.calls[0]?.done(new Error('down 1'));
    await turn();
    await new Promise((r) => setTimeout(r, 5));
    // The failed batch comes back ahead of what was recorded meanwhile, in one write.
    expect(w.calls.map((c) => c.what)).toEqual([['a'], ['a', 'b']]);
    expect(buffer.unwritten()).toBe(2);
    w.calls[1]?.done(new Error('down 2'));
    await new Promise((r) => setTimeout(r, 5));
    w.calls[2]?.done();
    await turn();
    buffer.ack(testClaim('c'));
    buffer.schedule();
    await turn();
    w.calls[3]?.done(new Error('down 3'));
    await new Promise((r) => setTimeout(r, 5));
    w.calls[4]?.done();
    await buffer.whenSettled();
    expect(log).toEqual([
      'error down 1',
      'backoff after 1',
      'error down 2',
      'backoff after 2',
      'written',
      'error down 3',
      'backoff after 1',
      'written',
    ]);
    expect(w.calls.map((c) => c.what)).toEqual([['a'], ['a', 'b'], ['a', 'b'], ['c'], ['c']]);
  });

  it('gives up when the hook says so: every unwritten outcome is dropped, counted, and whenSettled resolves', async () => {
    const w = gatedWrites();
    const { log, hooks } = recordingHooks({ mayGiveUp: (failures) => failures >= 2 });
    const buffer = new OutcomeBuffer<Claim>(w.write, hooks);
    buffer.ack(testClaim('a'));
    buffer.deadLetter({ claim: testClaim('b'), error, reason: 'poison' });
    const settled = buffer.whenSettled();
    await turn();
    buffer.release(testClaim('c'));
    w.calls[0]?.done(new Error('one'));
    await new Promise((r) => setTimeout(r, 5));
    expect(w.calls[1]?.what).toEqual(['a', 'd:b', 'x:c']);
    w.calls[1]?.done(new Error('two'));
    await settled;
    expect(log).toEqual(['error one', 'backoff after 1', 'error two', 'gave up 3', 'written']);
    expect(buffer.unwritten()).toBe(0);
  });
});

describe('takeOutcomes', () => {
  it('returns the input itself when it fits exactly, and splits at the limit in kind order', () => {
    const o: Outcomes = {
      acked: [testClaim('a')],
      retried: [{ claim: testClaim('b'), delayMs: 1, error }],
      deadLettered: [{ claim: testClaim('c'), error, reason: 'poison' }],
      released: [testClaim('d')],
    };
    const [all, none] = takeOutcomes(o, 4);
    expect(all).toBe(o);
    expect(ids(none)).toEqual([]);
    const [first, rest] = takeOutcomes(o, 3);
    expect(ids(first)).toEqual(['a', 'r:b', 'd:c']);
    expect(ids(rest)).toEqual(['x:d']);
  });
});

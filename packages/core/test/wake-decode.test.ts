// Wake-ups (remembered when nobody waits, per queue, cleared timers) and envelope decoding
// (every field carried, poison text, lenient read of an unreadable payload).
import { describe, expect, it } from 'vitest';
import { jsonSerializer } from '../src/index.js';
import {
  createWakeups,
  decodeEnvelope,
  decodeEnvelopeLenient,
  poisonError,
  WakeSignal,
} from '../src/provider.js';

const never = new AbortController().signal;
// The clock starts before the wait is set up, so a pause in between cannot shorten it.
const timed = async (wait: () => Promise<void>): Promise<number> => {
  const start = Date.now();
  await wait();
  return Date.now() - start;
};

describe('WakeSignal', () => {
  it('a zero or negative timeout and an aborted signal resolve at once', async () => {
    const s = new WakeSignal();
    const aborted = AbortSignal.abort();
    expect(await timed(() => s.wait(0, never))).toBeLessThan(1_000);
    expect(await timed(() => s.wait(-1, never))).toBeLessThan(1_000);
    expect(await timed(() => s.wait(5_000, aborted))).toBeLessThan(1_000);
    expect(s.waiting).toBe(false);
  });
  it('waits for the timeout when nothing happens, and counts as waiting meanwhile', async () => {
    const s = new WakeSignal();
    const p = timed(() => s.wait(60, never));
    expect(s.waiting).toBe(true);
    expect(await p).toBeGreaterThanOrEqual(40);
    expect(s.waiting).toBe(false);
  });
  it('an abort ends the wait and removes the waiter', async () => {
    const s = new WakeSignal();
    const controller = new AbortController();
    const p = timed(() => s.wait(5_000, controller.signal));
    controller.abort();
    expect(await p).toBeLessThan(1_000);
    expect(s.waiting).toBe(false);
    // Nobody waits now, so this wake-up is remembered rather than lost.
    s.wake();
    expect(await timed(() => s.wait(5_000, never))).toBeLessThan(1_000);
  });
  it('wakes every waiter at once and remembers nothing after that', async () => {
    const s = new WakeSignal();
    const a = timed(() => s.wait(5_000, never));
    const b = timed(() => s.wait(5_000, never));
    s.wake();
    expect(await a).toBeLessThan(1_000);
    expect(await b).toBeLessThan(1_000);
    expect(await timed(() => s.wait(80, never))).toBeGreaterThanOrEqual(60);
  });
  it('a remembered wake-up is used once', async () => {
    const s = new WakeSignal();
    s.wake();
    s.wake();
    expect(await timed(() => s.wait(5_000, never))).toBeLessThan(1_000);
    expect(await timed(() => s.wait(60, never))).toBeGreaterThanOrEqual(40);
  });
});

describe('createWakeups', () => {
  it('keeps one signal per queue: waking one queue does not wake another', async () => {
    const w = createWakeups();
    const other = timed(() => w.wait('b', 80, never));
    w.wake('a');
    expect(await other).toBeGreaterThanOrEqual(60);
    expect(await timed(() => w.wait('a', 5_000, never))).toBeLessThan(1_000);
  });
  it('wakeAll wakes every queue seen so far', async () => {
    const w = createWakeups();
    const a = timed(() => w.wait('a', 5_000, never));
    const b = timed(() => w.wait('b', 5_000, never));
    w.wakeAll();
    expect(await a).toBeLessThan(1_000);
    expect(await b).toBeLessThan(1_000);
    w.wake('c');
    w.wakeAll();
    expect(await timed(() => w.wait('c', 5_000, never))).toBeLessThan(1_000);
  });
});

describe('decodeEnvelope', () => {
  const envelope = {
    id: 'm1',
    type: 'order.created',
    body: '{"n":1}',
    attempt: 2,
    maxAttempts: 5,
    createdAt: new Date(1_000),
    runAt: new Date(2_000),
    partitionKey: 'k',
    priority: 3,
    headers: { traceparent: 't' },
  };
  it('carries every field and decodes the payload, adding meta only when present', () => {
    const message = decodeEnvelope(envelope, 'orders', jsonSerializer);
    expect(message).toEqual({
      id: 'm1',
      queue: 'orders',
      type: 'order.created',
      payload: { n: 1 },
      attempt: 2,
      maxAttempts: 5,
      createdAt: new Date(1_000),
      runAt: new Date(2_000),
      partitionKey: 'k',
      priority: 3,
      headers: { traceparent: 't' },
    });
    expect('meta' in message).toBe(false);
    expect(
      decodeEnvelope({ ...envelope, meta: { shardId: 's' } }, 'q', jsonSerializer).meta,
    ).toEqual({ shardId: 's' });
  });
  it('throws what the serializer throws', () => {
    expect(() => decodeEnvelope({ ...envelope, body: '{' }, 'q', jsonSerializer)).toThrow(
      SyntaxError,
    );
  });
  it('the lenient read returns an unreadable payload raw, marked in meta', () => {
    const raw = decodeEnvelopeLenient(
      { ...envelope, body: '{oops', meta: { a: 1 } },
      'q',
      jsonSerializer,
    );
    expect(raw.payload).toBe('{oops');
    expect(raw.meta).toEqual({ a: 1, rawPayload: true });
    expect(raw.id).toBe('m1');
    const fine = decodeEnvelopeLenient(envelope, 'q', jsonSerializer);
    expect(fine.payload).toEqual({ n: 1 });
    expect('meta' in fine).toBe(false);
  });
  it('a poison error names the serializer and the decoding failure', () => {
    expect(poisonError(new SyntaxError('Unexpected token o'), jsonSerializer)).toEqual({
      name: 'SerializationError',
      code: 'MQKIT_SERIALIZATION',
      message: 'serializer "json" could not decode the stored payload: Unexpected token o',
    });
  });
});

// Unit tests of the provider kit's pure parts (@mqkit/core/provider): failure policy, circuit
// breaker, admission (poison / lease-expired), outcome buffer, dead-letter filters, the string
// rule, wake-ups, log throttling, lifecycle isolation, ids, backend errors and the registry.
import { describe, expect, it, vi } from 'vitest';
import {
  BackendError,
  ConfigurationError,
  type Consumer,
  jsonSerializer,
  type LifecycleEvent,
  NonRetryableError,
  ValidationError,
} from '../src/index.js';
import {
  admitClaims,
  assignIds,
  CircuitBreaker,
  type Claim,
  createConsumerRegistry,
  createLifecycleDispatcher,
  decideFailure,
  LIFECYCLE_PAUSE_AFTER,
  LIFECYCLE_PAUSE_MS,
  LogThrottle,
  OutcomeBuffer,
  type Outcomes,
  type PreparedMessage,
  requestedRetryMs,
  resolveDeadLetterFilter,
  storableStringProblem,
  takeOutcomes,
  toBackendError,
  WakeSignal,
} from '../src/provider.js';
import { testBufferHooks, testClaim } from './claim-fixture.js';

const backoff = { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0 };
const claim = testClaim;

describe('failure policy', () => {
  it('retries with the exponential back-off while attempts are left', () => {
    expect(decideFailure({ attempt: 1, maxAttempts: 3, error: new Error('x') }, backoff)).toEqual({
      retry: true,
      delayMs: 100,
    });
    expect(decideFailure({ attempt: 2, maxAttempts: 3, error: new Error('x') }, backoff)).toEqual({
      retry: true,
      delayMs: 200,
    });
  });

  it('dead-letters the last attempt (max-attempts) and a NonRetryableError at once', () => {
    expect(decideFailure({ attempt: 3, maxAttempts: 3, error: 'x' }, backoff)).toEqual({
      retry: false,
      reason: 'max-attempts',
    });
    expect(
      decideFailure({ attempt: 1, maxAttempts: 3, error: new NonRetryableError('no') }, backoff),
    ).toEqual({ retry: false, reason: 'non-retryable' });
  });

  it('honours retryInMs, capped at maxMs, and never on the last attempt', () => {
    const f = (retryInMs: number, attempt = 1) =>
      decideFailure({ attempt, maxAttempts: 3, error: 'x', retryInMs }, backoff);
    expect(f(5)).toEqual({ retry: true, delayMs: 5 });
    expect(f(0)).toEqual({ retry: true, delayMs: 0 });
    expect(f(60_000)).toEqual({ retry: true, delayMs: 1_000 });
    expect(f(5, 3)).toEqual({ retry: false, reason: 'max-attempts' });
  });

  it('reads retryInMs from the failed item first, then the thrown error; ignores bad values', () => {
    expect(requestedRetryMs(20, { retryInMs: 99 })).toBe(20);
    expect(requestedRetryMs(undefined, { retryInMs: 99 })).toBe(99);
    expect(requestedRetryMs(undefined, new Error('plain'))).toBeUndefined();
    expect(requestedRetryMs(-1, undefined)).toBeUndefined();
    expect(requestedRetryMs(Number.NaN, undefined)).toBeUndefined();
    expect(requestedRetryMs('5', undefined)).toBeUndefined();
  });
});

describe('CircuitBreaker', () => {
  it('backs off doubling, opens once at the threshold, waits resetTimeoutMs, closes on success', () => {
    const b = new CircuitBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 500,
      minMs: 10,
      maxMs: 100,
    });
    expect(b.failure()).toEqual({ delayMs: 20, opened: false, failures: 1 });
    expect(b.failure()).toEqual({ delayMs: 40, opened: false, failures: 2 });
    expect(b.failure()).toEqual({ delayMs: 500, opened: true, failures: 3 });
    expect(b.failure()).toEqual({ delayMs: 500, opened: false, failures: 4 });
    expect(b.isOpen).toBe(true);
    expect(b.success()).toBe(true);
    expect(b.success()).toBe(false);
    expect(b.failure().delayMs).toBe(20);
  });
});

describe('admitClaims', () => {
  const picky = {
    name: 'picky',
    serialize: JSON.stringify,
    deserialize: (s: string) => {
      if (s.includes('bad')) throw new Error('unreadable');
      return JSON.parse(s);
    },
  };

  it('returns the claimed array itself and decoded messages when everything is deliverable', () => {
    const claimed = [claim('a'), claim('b', { meta: { shard: 1 } })];
    const a = admitClaims(claimed, 'jobs', jsonSerializer);
    expect(a.claims).toBe(claimed);
    expect(a.rejected).toEqual([]);
    expect(a.messages.map((m) => [m.id, m.queue, m.payload])).toEqual([
      ['a', 'jobs', 'a'],
      ['b', 'jobs', 'b'],
    ]);
    expect(a.messages[1]?.meta).toEqual({ shard: 1 });
    expect('body' in (a.messages[0] as object)).toBe(false);
  });

  it('rejects a poison payload and a redelivery past its solo run, keeping the others in order', () => {
    const claimed = [
      claim('ok1'),
      claim('bad'),
      claim('crashed', { attempt: 5, maxAttempts: 3 }),
      claim('ok2', { attempt: 3, maxAttempts: 3 }),
      claim('solo', { attempt: 4, maxAttempts: 3 }),
    ];
    const a = admitClaims(claimed, 'jobs', picky);
    expect(a.claims.map((c) => c.id)).toEqual(['ok1', 'ok2', 'solo']);
    expect(a.messages.map((m) => m.id)).toEqual(['ok1', 'ok2', 'solo']);
    expect(a.rejected.map((r) => [r.claim.id, r.reason, r.error.code])).toEqual([
      ['bad', 'poison', 'MQKIT_SERIALIZATION'],
      ['crashed', 'lease-expired', 'MQKIT_LEASE_EXPIRED'],
    ]);
  });
});

describe('OutcomeBuffer', () => {
  const hooks = testBufferHooks;

  it('writes everything recorded in one turn with one write', async () => {
    const writes: Outcomes[] = [];
    const buffer = new OutcomeBuffer<Claim>(async (o) => void writes.push(o), hooks());
    buffer.ack(claim('a'));
    buffer.retry({ claim: claim('b'), delayMs: 5, error: { name: 'E', message: 'm' } });
    buffer.deadLetter({ claim: claim('c'), error: { name: 'E', message: 'm' }, reason: 'poison' });
    buffer.release(claim('d'));
    buffer.schedule();
    buffer.schedule();
    await buffer.whenSettled();
    expect(writes).toHaveLength(1);
    expect(writes[0]?.acked.map((c) => c.id)).toEqual(['a']);
    expect(writes[0]?.deadLettered[0]?.reason).toBe('poison');
  });

  it('caps a write at maxPerWrite outcomes and writes the rest right after, in order', async () => {
    const writes: string[][] = [];
    const buffer = new OutcomeBuffer<Claim>(
      async (o) =>
        void writes.push([
          ...o.acked.map((c) => c.id),
          ...o.retried.map((r) => `r:${r.claim.id}`),
          ...o.released.map((c) => `x:${c.id}`),
        ]),
      hooks(),
      3,
    );
    for (const id of ['a', 'b', 'c', 'd']) buffer.ack(claim(id));
    buffer.retry({ claim: claim('e'), delayMs: 5, error: { name: 'E', message: 'm' } });
    buffer.release(claim('f'));
    buffer.schedule();
    await buffer.whenSettled();
    expect(writes).toEqual([
      ['a', 'b', 'c'],
      ['d', 'r:e', 'x:f'],
    ]);
  });

  it('takeOutcomes splits without touching its input', () => {
    const o = {
      acked: [claim('a'), claim('b')],
      retried: [{ claim: claim('c'), delayMs: 1, error: { name: 'E', message: 'm' } }],
      deadLettered: [],
      released: [claim('d')],
    };
    const [batch, rest] = takeOutcomes(o, 3);
    expect(batch.acked.map((c) => c.id)).toEqual(['a', 'b']);
    expect(batch.retried.map((r) => r.claim.id)).toEqual(['c']);
    expect(batch.released).toEqual([]);
    expect(rest.released.map((c) => c.id)).toEqual(['d']);
    expect(o.acked).toHaveLength(2);
    expect(takeOutcomes(o, 10)[0]).toBe(o);
  });

  it('keeps the outcomes of a failed write, holds their leases, and writes them again', async () => {
    const writes: string[][] = [];
    const failures: unknown[] = [];
    let fail = 1;
    const buffer = new OutcomeBuffer<Claim>(async (o) => {
      writes.push(o.acked.map((c) => c.id));
      if (fail-- > 0) throw new Error('down');
    }, hooks(failures));
    buffer.ack(claim('a'));
    buffer.schedule();
    await new Promise((r) => setTimeout(r, 0));
    const held: Claim[] = [];
    buffer.collectHeld(held);
    expect(held.map((c) => c.id)).toEqual(['a']);
    await buffer.whenSettled();
    expect(writes).toEqual([['a'], ['a']]);
    expect(failures).toHaveLength(1);
  });
});

describe('resolveDeadLetterFilter', () => {
  const f = (filter: unknown, verb: 'list' | 'replay' | 'purge' = 'purge') =>
    resolveDeadLetterFilter(filter, 'test', verb);
  const fails = (filter: unknown, verb: 'list' | 'replay' | 'purge' = 'list') =>
    expect(() => f(filter, verb)).toThrow(ValidationError);

  it('rejects unknown keys with a did-you-mean: a typo never widens purge to everything', () => {
    expect(() => f({ tpye: 'a' })).toThrow(/unknown filter key "tpye"; did you mean "type"\?/);
    fails({ limit: 5 }, 'purge');
    fails({ idz: [] }, 'replay');
  });

  it('validates every criterion and limit/offset', () => {
    for (const bad of [
      { limit: -1 },
      { limit: 0 },
      { limit: Number.NaN },
      { limit: 10_001 },
      { offset: -5 },
      { offset: 0.5 },
      { before: new Date(Number.NaN) },
      { before: '2020-01-01' },
      { ids: 'a' },
      { ids: [1] },
      { ids: ['a\u0000'] },
      { type: '' },
      { where: 'x' },
      'all',
      null,
    ])
      fails(bad);
  });

  it('fills defaults, deduplicates ids, and says when nothing is selected', () => {
    expect(f(undefined, 'list')).toMatchObject({ all: true, limit: 100, offset: 0 });
    expect(f({ ids: ['a', 'a', 'b'] })).toMatchObject({ all: false, ids: ['a', 'b'] });
    expect(f({ ids: [] }).all).toBe(false);
  });
});

describe('storableStringProblem', () => {
  it('accepts well-formed text including surrogate pairs, rejects U+0000 and lone surrogates', () => {
    expect(storableStringProblem('order-1 ✓ \u{1F600}')).toBeUndefined();
    expect(storableStringProblem('a\u0000')).toMatch(/U\+0000 \(at index 1\)/);
    expect(storableStringProblem('\uD800x')).toMatch(/unpaired/);
    expect(storableStringProblem('x\uDC00')).toMatch(/at index 1/);
    expect(storableStringProblem('\uD83D')).toMatch(/unpaired/);
  });
});

describe('WakeSignal', () => {
  it('remembers a wake-up that came while nobody waited, once', async () => {
    const s = new WakeSignal();
    const never = new AbortController().signal;
    s.wake();
    const started = Date.now();
    await s.wait(5_000, never);
    expect(Date.now() - started).toBeLessThan(100);
    const second = s.wait(50, never).then(() => Date.now() - started);
    expect(await second).toBeGreaterThanOrEqual(40);
  });

  it('wakes a waiter at once', async () => {
    const s = new WakeSignal();
    const started = Date.now();
    const waiting = s.wait(5_000, new AbortController().signal);
    expect(s.waiting).toBe(true);
    s.wake();
    await waiting;
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('LogThrottle and lifecycle isolation', () => {
  it('lets a burst through per window and counts what it suppressed', () => {
    const t = new LogThrottle(2, 1_000);
    expect([t.admit(0), t.admit(1), t.admit(2), t.admit(3)]).toEqual([0, 0, undefined, undefined]);
    expect(t.admit(1_000)).toBe(2);
  });

  it('reports every failure of a throwing provider to onLifecycleError but logs a few lines', () => {
    const warns: unknown[] = [];
    const logger = {
      trace() {},
      debug() {},
      info() {},
      warn: (o: unknown) => void warns.push(o),
      error() {},
    };
    let hooked = 0;
    const d = createLifecycleDispatcher(
      {
        name: 'broken',
        onEvent() {
          throw new Error('metrics down');
        },
      },
      logger,
      () => void hooked++,
    );
    const event: LifecycleEvent = { type: 'circuitClosed', provider: 'p', queue: 'q' };
    // Below the pause threshold (see the pause tests): every failure is reported.
    for (let i = 0; i < LIFECYCLE_PAUSE_AFTER - 1; i++) d.emit(event);
    expect(hooked).toBe(LIFECYCLE_PAUSE_AFTER - 1);
    expect(warns.length).toBeGreaterThan(0);
    expect(warns.length).toBeLessThanOrEqual(5);
  });

  it('admitNow reads no clock while the burst is spent and reopens at the window end with the count', async () => {
    let reads = 0;
    const t = new LogThrottle(2, 30, () => {
      reads++;
      return Date.now();
    });
    const first = Array.from({ length: 1_000 }, () => t.admitNow());
    expect(first.slice(0, 2)).toEqual([0, 0]);
    expect(first.slice(2).every((x) => x === undefined)).toBe(true);
    expect(reads).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(t.admitNow()).toBe(998);
    expect(t.admitNow()).toBe(0);
    expect(t.admitNow()).toBeUndefined();
  });

  it('a provider throwing on every event costs no clock read per failure', () => {
    const d = createLifecycleDispatcher(
      {
        name: 'broken',
        onEvent() {
          throw new Error('metrics down');
        },
      },
      { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      () => undefined,
    );
    const event: LifecycleEvent = { type: 'circuitClosed', provider: 'p', queue: 'q' };
    const now = vi.spyOn(Date, 'now');
    try {
      for (let i = 0; i < 1_000; i++) d.emit(event);
      expect(now.mock.calls.length).toBeLessThanOrEqual(6);
    } finally {
      now.mockRestore();
    }
  });
});

describe('a lifecycle provider failing on every event is paused', () => {
  const event: LifecycleEvent = { type: 'circuitClosed', provider: 'p', queue: 'q' };
  const capture = () => {
    const warns: { o: Record<string, unknown>; msg: string }[] = [];
    const logger = {
      trace() {},
      debug() {},
      info() {},
      warn: (o: unknown, msg?: string) =>
        void warns.push({ o: o as Record<string, unknown>, msg: msg ?? '' }),
      error() {},
    };
    return { warns, logger };
  };

  it(`after ${LIFECYCLE_PAUSE_AFTER} failures in a row its events are skipped, then it is called again after the pause`, async () => {
    const { warns, logger } = capture();
    let calls = 0;
    let hooked = 0;
    const d = createLifecycleDispatcher(
      {
        name: 'broken',
        onEvent() {
          calls++;
          throw new Error('metrics down');
        },
      },
      logger,
      () => void hooked++,
    );
    for (let i = 0; i < 3 * LIFECYCLE_PAUSE_AFTER; i++) d.emit(event);
    expect(calls).toBe(LIFECYCLE_PAUSE_AFTER);
    expect(hooked).toBe(LIFECYCLE_PAUSE_AFTER);
    const paused = warns.find((w) => w.msg.includes('pausing'));
    expect(paused?.o).toMatchObject({ provider: 'broken', pauseMs: LIFECYCLE_PAUSE_MS });
    await new Promise((r) => setTimeout(r, LIFECYCLE_PAUSE_MS + 100));
    expect(warns.find((w) => w.msg.includes('resumed'))?.o).toMatchObject({
      provider: 'broken',
      skipped: 2 * LIFECYCLE_PAUSE_AFTER,
    });
    d.emit(event);
    expect(calls).toBe(LIFECYCLE_PAUSE_AFTER + 1);
    // Still failing right after the pause: the next pause is twice as long.
    for (let i = 0; i < LIFECYCLE_PAUSE_AFTER; i++) d.emit(event);
    expect(warns.filter((w) => w.msg.includes('pausing')).at(-1)?.o).toMatchObject({
      pauseMs: 2 * LIFECYCLE_PAUSE_MS,
    });
  });

  it('a provider that fails often but not always, or only asynchronously and then recovers, is never paused', async () => {
    const { warns, logger } = capture();
    let calls = 0;
    const d = createLifecycleDispatcher(
      {
        name: 'flaky',
        onEvent() {
          calls++;
          if (calls % 100 !== 0) throw new Error('mostly down');
        },
      },
      logger,
    );
    for (let i = 0; i < 5 * LIFECYCLE_PAUSE_AFTER; i++) d.emit(event);
    expect(calls).toBe(5 * LIFECYCLE_PAUSE_AFTER);
    expect(warns.some((w) => w.msg.includes('pausing'))).toBe(false);
  });

  it('a provider rejecting every event is paused too', async () => {
    const { warns, logger } = capture();
    let calls = 0;
    const d = createLifecycleDispatcher(
      {
        name: 'async-broken',
        onEvent: async () => {
          calls++;
          throw new Error('exporter down');
        },
      },
      logger,
    );
    for (let i = 0; i < LIFECYCLE_PAUSE_AFTER; i++) d.emit(event);
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < LIFECYCLE_PAUSE_AFTER; i++) d.emit(event);
    expect(calls).toBe(LIFECYCLE_PAUSE_AFTER);
    expect(warns.some((w) => w.msg.includes('pausing'))).toBe(true);
  });
});

describe('assignIds and toBackendError', () => {
  const prepared = [{ id: undefined }, { id: 'given' }] as unknown as PreparedMessage[];

  it('keeps given ids and checks what a custom generator returns', () => {
    expect(assignIds(prepared, () => 'gen', 'test', true)).toEqual(['gen', 'given']);
    for (const bad of ['', 'x\u0000', 42 as unknown as string, 'x'.repeat(201)])
      expect(() => assignIds(prepared, () => bad, 'test', true)).toThrow(ConfigurationError);
  });

  it('wraps a driver error with the cause kept and credentials redacted; mqkit errors pass', () => {
    const driver = new Error('connect failed: postgres://app:hunter2@db:5432/x');
    const wrapped = toBackendError('test', 'publish', driver, () => 'run the migrations');
    expect(wrapped).toBeInstanceOf(BackendError);
    expect(wrapped.message).toBe(
      '[@mqkit/test] publish failed: connect failed: postgres://app:***@db:5432/x; run the migrations',
    );
    expect(wrapped.cause).toBe(driver);
    const typed = new ValidationError('bad');
    expect(toBackendError('test', 'publish', typed)).toBe(typed);
  });
});

describe('consumer registry', () => {
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const registry = () =>
    createConsumerRegistry({
      provider: 'test',
      logger,
      lifecycle: createLifecycleDispatcher(undefined, logger),
      serializer: jsonSerializer,
    });

  it('rejects a non-function handler and bad options before anything starts', () => {
    const r = registry();
    expect(() => r.prepare('jobs', undefined, undefined)).toThrow(ConfigurationError);
    expect(() => r.prepare('jobs', async () => undefined, { batchSize: 0 })).toThrow(
      ConfigurationError,
    );
    expect(r.prepare('jobs', async () => undefined, undefined).batchSize).toBe(1);
  });

  it('stops a consumer the provider runs itself on close, after validating close options', async () => {
    const r = registry();
    const stops: unknown[] = [];
    let resolveStopped!: () => void;
    const own: Consumer = {
      id: 'shard-loop',
      queue: 'stream',
      running: true,
      stopped: new Promise<void>((resolve) => {
        resolveStopped = resolve;
      }),
      stop: async (o) => {
        stops.push(o);
        resolveStopped();
      },
    };
    r.track(own);
    await expect(r.close({ timeoutMs: -1 })).rejects.toThrow(ConfigurationError);
    expect(() => r.assertUsable('jobs')).not.toThrow();
    expect(stops).toEqual([]);
    await r.close({ timeoutMs: 5 });
    expect(stops).toEqual([{ timeoutMs: 5 }]);
    expect(() => r.assertUsable('jobs')).toThrow(/closed/);
  });
});

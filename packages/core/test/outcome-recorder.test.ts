// The recorder between a handler's result and what gets written: which messages are acked,
// retried (after which delay) or dead-lettered (for which reason), and the lifecycle events each
// outcome emits — through a real OutcomeBuffer whose writes are collected.
import { describe, expect, it } from 'vitest';
import { type LifecycleEvent, type MessageInfo, NonRetryableError } from '../src/index.js';
import {
  type Claim,
  createLifecycleDispatcher,
  OutcomeBuffer,
  OutcomeRecorder,
  type Outcomes,
} from '../src/provider.js';
import { testBufferHooks, testClaim } from './claim-fixture.js';

const backoff = { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0 };

function setup(options: { lifecycle?: boolean; now?: number } = {}) {
  const events: LifecycleEvent[] = [];
  const warnings: string[] = [];
  const writes: Outcomes[] = [];
  const outcomes = new OutcomeBuffer<Claim>(async (o) => {
    writes.push(o);
  }, testBufferHooks());
  const logger = {
    trace() {},
    debug() {},
    info() {},
    warn: (_fields: unknown, message?: string) => void warnings.push(message ?? ''),
    error() {},
  };
  const lifecycle = createLifecycleDispatcher(
    options.lifecycle === false ? [] : [{ name: 'collect', onEvent: (e) => void events.push(e) }],
    logger,
  );
  const recorder = new OutcomeRecorder<Claim>({
    outcomes,
    backoff,
    provider: 'test',
    queue: 'q',
    consumerId: 'c1',
    logger,
    lifecycle,
    now: () => options.now ?? 1_250,
  });
  /** Writes what the recorder buffered and returns it as `kind:id` strings. */
  const written = async (): Promise<string[]> => {
    outcomes.schedule();
    await outcomes.whenSettled();
    return writes.flatMap((o) => [
      ...o.acked.map((c) => `ack:${c.id}`),
      ...o.retried.map((r) => `retry:${r.claim.id}+${r.delayMs}`),
      ...o.deadLettered.map((d) => `dead:${d.claim.id}:${d.reason}`),
      ...o.released.map((c) => `release:${c.id}`),
    ]);
  };
  return { recorder, events, warnings, written };
}

const run = (claims: Claim[], startedAt = 1_000) => ({ claims, startedAt });
/** A list's infos as plain objects. */
const infosOf = (e: LifecycleEvent | undefined): MessageInfo[] =>
  e !== undefined && 'messages' in e ? [...(e.messages as Iterable<MessageInfo>)] : [];
const info = (c: Claim) => ({
  id: c.id,
  type: c.type,
  attempt: c.attempt,
  createdAt: c.createdAt,
  partitionKey: c.partitionKey,
});

describe('OutcomeRecorder', () => {
  it('success: every message acked, one succeeded event with their infos and the call duration', async () => {
    const t = setup();
    const a = testClaim('a');
    const b = testClaim('b', { partitionKey: 'k', attempt: 2 });
    t.recorder.apply(run([a, b]), false, undefined, undefined);
    expect(await t.written()).toEqual(['ack:a', 'ack:b']);
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatchObject({
      type: 'succeeded',
      provider: 'test',
      queue: 'q',
      consumerId: 'c1',
      durationMs: 250,
      calls: 1,
      finishedAt: 1_250,
    });
    expect(infosOf(t.events[0])).toEqual([info(a), info(b)]);
  });

  it('event lists read the claims in place and expose only the five info fields', () => {
    const t = setup();
    const a = testClaim('a', { partitionKey: 'k', attempt: 2 });
    const b = testClaim('b', { type: 'other' });
    t.recorder.succeed(run([a, b]), [a, b]);
    const event = t.events[0] as LifecycleEvent & { type: 'succeeded' };
    const list = event.messages;
    expect(list.length).toBe(2);
    expect([list.typeAt(0), list.typeAt(1), list.typeAt(2)]).toEqual(['t', 'other', undefined]);
    expect([list.createdAtMs(0), list.createdAtMs(5)]).toEqual([a.createdAt.getTime(), undefined]);
    expect(list.at(-1)).toEqual(info(b));
    expect(list.at(2)).toBeUndefined();
    // No payload (body), headers or lease token reaches a lifecycle provider, however it looks.
    const copy = list.at(0) as object;
    expect(Object.keys(copy).sort()).toEqual([
      'attempt',
      'createdAt',
      'id',
      'partitionKey',
      'type',
    ]);
    expect(copy).not.toBe(a);
    expect(Object.keys(list)).toEqual(['length']);
    const shown = JSON.stringify(event);
    expect(shown).toContain('"id":"a"');
    for (const secret of ['token', 'body', 'headers']) expect(shown).not.toContain(secret);
    // Iteration hands out copies too.
    expect([...list].map((m) => m.id)).toEqual(['a', 'b']);
    expect([...list][0]).not.toBe(a);
  });

  it('success of part of a batch lists that part; a single message waits for the burst; none emits nothing', () => {
    const t = setup();
    const a = testClaim('a');
    const b = testClaim('b');
    const batch = [a, b];
    t.recorder.succeed(run(batch), batch);
    expect(infosOf(t.events[0])).toEqual([info(a), info(b)]);
    t.recorder.succeed(run(batch), [b]);
    // One message left of a batch: reported like a one-message call, at the end of the burst.
    expect(t.events).toHaveLength(1);
    t.recorder.events.flush();
    expect(infosOf(t.events[1])).toEqual([info(b)]);
    // Nothing succeeded: no event.
    t.recorder.succeed(run([a]), []);
    t.recorder.events.flush();
    expect(t.events).toHaveLength(2);
  });

  it('one-message calls that started and ended together share one succeeded event, emitted after the burst', async () => {
    const t = setup();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => testClaim(id)) as Claim[];
    for (const claim of [a, b, c] as Claim[])
      t.recorder.apply(run([claim]), false, undefined, undefined);
    // A call that started at another time gets its own event.
    t.recorder.apply(run([d as Claim], 1_100), false, undefined, undefined);
    expect(t.events).toHaveLength(1);
    await Promise.resolve();
    await Promise.resolve();
    const succeeded = t.events.filter((e) => e.type === 'succeeded');
    expect(
      succeeded.map((e) => [
        infosOf(e)
          .map((m) => m.id)
          .join(','),
        e.calls,
        e.durationMs,
      ]),
    ).toEqual([
      ['a,b,c', 3, 250],
      ['d', 1, 150],
    ]);
    expect(await t.written()).toEqual(['ack:a', 'ack:b', 'ack:c', 'ack:d']);
  });

  it('a failure flushes the gathered successes first: events keep the order things happened in', () => {
    const t = setup();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => testClaim(id)) as Claim[];
    t.recorder.apply(run([a as Claim]), false, undefined, undefined);
    t.recorder.apply(run([b as Claim]), true, new Error('boom'), undefined);
    t.recorder.apply(run([c as Claim]), false, undefined, undefined);
    t.recorder.events.flush();
    const ids = (e: LifecycleEvent): string =>
      'messages' in e
        ? infosOf(e)
            .map((m) => m.id)
            .join(',')
        : 'message' in e
          ? e.message.id
          : '';
    expect(t.events.map((e) => `${e.type}:${ids(e)}`)).toEqual([
      'succeeded:a',
      'failed:b',
      'retried:b',
      'succeeded:c',
    ]);
  });

  it('without a lifecycle provider nothing is emitted, and outcomes are the same', async () => {
    const t = setup({ lifecycle: false });
    t.recorder.apply(
      run([testClaim('a'), testClaim('z', { attempt: 3 })]),
      true,
      new Error('x'),
      undefined,
    );
    expect(await t.written()).toEqual(['retry:a+100', 'dead:z:max-attempts']);
    expect(t.events).toEqual([]);
  });

  it('a thrown error fails the whole batch: retried with back-off while attempts remain', async () => {
    const t = setup();
    const first = testClaim('a', { attempt: 1 });
    const second = testClaim('b', { attempt: 2 });
    const err = new Error('boom');
    t.recorder.apply(run([first, second]), true, err, undefined);
    expect(await t.written()).toEqual(['retry:a+100', 'retry:b+200']);
    expect(t.events.map((e) => e.type)).toEqual(['failed', 'retried', 'failed', 'retried']);
    expect(t.events[0]).toMatchObject({
      type: 'failed',
      consumerId: 'c1',
      message: info(first),
      error: { name: 'Error', message: 'boom' },
      durationMs: 250,
      finishedAt: 1_250,
      willRetry: true,
    });
    expect(t.events[3]).toMatchObject({ type: 'retried', message: info(second), delayMs: 200 });
  });

  it('the last attempt and a NonRetryableError dead-letter, with their reasons', async () => {
    const t = setup();
    const last = testClaim('last', { attempt: 3, maxAttempts: 3 });
    const fatal = testClaim('fatal', { attempt: 1 });
    t.recorder.apply(run([last]), true, new Error('again'), undefined);
    t.recorder.apply(run([fatal]), true, new NonRetryableError('bad input'), undefined);
    expect(await t.written()).toEqual(['dead:last:max-attempts', 'dead:fatal:non-retryable']);
    expect(t.events.map((e) => `${e.type}${'willRetry' in e ? `:${e.willRetry}` : ''}`)).toEqual([
      'failed:false',
      'deadLettered',
      'failed:false',
      'deadLettered',
    ]);
    expect(t.events[1]).toMatchObject({ message: info(last), reason: 'max-attempts' });
    expect(t.events[3]).toMatchObject({ reason: 'non-retryable', error: { message: 'bad input' } });
    expect(t.warnings).toEqual(['message dead-lettered', 'message dead-lettered']);
  });

  it('{ failed }: only the listed messages fail (with their own retryInMs); the rest succeed', async () => {
    const t = setup();
    const [a, b, c] = [testClaim('a'), testClaim('b'), testClaim('c')];
    t.recorder.apply(run([a, b, c]), false, undefined, {
      failed: [{ id: 'b', error: new Error('b failed'), retryInMs: 40 }],
    });
    expect(await t.written()).toEqual(['ack:a', 'ack:c', 'retry:b+40']);
    expect(t.events.map((e) => e.type)).toEqual(['failed', 'retried', 'succeeded']);
    expect(infosOf(t.events[2])).toEqual([info(a), info(c)]);
    expect(t.warnings).toEqual([]);
  });

  it('{ failed: [] } is a success; ids not in the batch are ignored with a warning', async () => {
    const t = setup();
    t.recorder.apply(run([testClaim('a')]), false, undefined, { failed: [] });
    t.recorder.apply(run([testClaim('b'), testClaim('c')]), false, undefined, {
      failed: [
        { id: 'c', error: new Error('c') },
        { id: 'nope', error: new Error('?') },
      ],
    });
    expect(await t.written()).toEqual(['ack:a', 'ack:b', 'retry:c+100']);
    expect(t.warnings).toEqual([
      'handler reported failed ids that are not in its batch; they were ignored',
    ]);
  });

  it('a dead letter decided before delivery: one outcome, one event with its reason', async () => {
    const t = setup();
    const poison = testClaim('p');
    const error = { name: 'SerializationError', message: 'unreadable' };
    t.recorder.deadLetter(poison, error, 'poison');
    expect(await t.written()).toEqual(['dead:p:poison']);
    expect(t.events).toEqual([
      {
        type: 'deadLettered',
        provider: 'test',
        queue: 'q',
        message: info(poison),
        error,
        reason: 'poison',
      },
    ]);
  });
});

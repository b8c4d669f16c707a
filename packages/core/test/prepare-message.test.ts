// What every provider's publish validates before any I/O (`prepareMessage`, `prepareMessages`):
// each rule at its boundary — the last accepted value and the first rejected one — with the
// typed error, its index and a message that says what was wrong. Written so that a flipped
// comparison, a dropped clause or an emptied message in publish.ts fails a case here.
import { describe, expect, it } from 'vitest';
import {
  type Capabilities,
  jsonSerializer,
  type LifecycleProvider,
  MessageTooLargeError,
  type PublishInput,
  SerializationError,
  type Serializer,
  UnsupportedFeatureError,
  ValidationError,
} from '../src/index.js';
import {
  createLifecycleDispatcher,
  type PrepareContext,
  prepareMessage,
  prepareMessages,
} from '../src/provider.js';

const all: Capabilities = { delay: true, priority: true, ordering: true, deduplication: true };
const none: Capabilities = { delay: false, priority: false, ordering: false, deduplication: false };
const ctx = (over: Partial<PrepareContext> = {}): PrepareContext => ({
  provider: 'test',
  capabilities: all,
  serializer: jsonSerializer,
  maxMessageBytes: 1_000,
  ...over,
});
const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The error `prepareMessage` throws for `input` (fails the test when it does not throw). */
function errorOf(input: unknown, c = ctx(), index = 0, inBatch = false): Error {
  try {
    prepareMessage(input as PublishInput, index, inBatch, c);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}
const ok = (input: Record<string, unknown>, c = ctx()) =>
  prepareMessage({ type: 't', payload: 1, ...input } as PublishInput, 0, false, c);

describe('prepareMessage: what is rejected, and what it says', () => {
  it.each([
    [null, 'must be an object with "type" and "payload" (got null)'],
    ['text', 'must be an object with "type" and "payload" (got "text")'],
    [[{ type: 't' }], 'must be an object with "type" and "payload" (got an array)'],
    [42, 'must be an object with "type" and "payload" (got 42)'],
    [undefined, 'must be an object with "type" and "payload" (got undefined)'],
  ])('a message that is not an object: %j', (input, problem) => {
    const error = errorOf(input);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(`[@mqkit/test] message: ${problem}; nothing was published`);
  });

  it('an unknown field, listing the accepted ones', () => {
    expect(errorOf({ type: 't', payload: 1, delay: 5 }).message).toBe(
      '[@mqkit/test] message: unknown field "delay" (accepted: type, payload, id, delayMs, runAt, partitionKey, headers, maxAttempts, priority); nothing was published',
    );
  });

  it('names the message by its index in a batch, and carries the index', () => {
    const error = errorOf({ type: '' }, ctx(), 3, true) as ValidationError;
    expect(error.message).toMatch(/^\[@mqkit\/test\] message\[3\]: "type" must be/);
    expect(error.index).toBe(3);
  });

  it('"type": a non-empty string of at most 200 characters', () => {
    expect(ok({ type: 'x'.repeat(200) }).type).toBe('x'.repeat(200));
    expect(ok({ type: 'a' }).type).toBe('a');
    for (const type of ['', 'x'.repeat(201), 7, undefined])
      expect(errorOf({ type, payload: 1 }).message).toContain(
        '"type" must be a non-empty string of at most 200 characters (got ',
      );
    expect(errorOf({ type: 7, payload: 1 }).message).toContain('(got 7)');
  });

  it('"id": when given, a non-empty string of at most 200 characters', () => {
    expect(ok({ id: 'i'.repeat(200) }).id).toBe('i'.repeat(200));
    expect(ok({}).id).toBeUndefined();
    for (const id of ['', 'i'.repeat(201), 12, null])
      expect(errorOf({ type: 't', payload: 1, id }).message).toContain(
        '"id" must be a non-empty string of at most 200 characters',
      );
  });

  it('strings a backend cannot store: U+0000 and unpaired surrogates, in every string field', () => {
    expect(errorOf({ type: 'a\u0000b', payload: 1 }).message).toContain(
      '"type" must not contain U+0000 (at index 1)',
    );
    expect(errorOf({ type: 't', payload: 1, id: 'x\uD800' }).message).toContain(
      '"id" must not contain an unpaired UTF-16 surrogate (at index 1)',
    );
    expect(errorOf({ type: 't', payload: 1, partitionKey: '\uDC00' }).message).toContain(
      '"partitionKey" must not contain an unpaired UTF-16 surrogate (at index 0)',
    );
    expect(errorOf({ type: 't', payload: 1, headers: { 'a\u0000': 'v' } }).message).toContain(
      'header name "a\\u0000" must not contain U+0000',
    );
    expect(errorOf({ type: 't', payload: 1, headers: { h: 'v\u0000' } }).message).toContain(
      'header "h" must not contain U+0000',
    );
    // A well-formed surrogate pair is fine.
    expect(ok({ type: '\uD83D\uDE00' }).type).toBe('😀');
  });

  it('"delayMs": a finite number from 0 to a year, exclusive with "runAt"', () => {
    expect(ok({ delayMs: 0 }).delayMs).toBe(0);
    expect(ok({ delayMs: MAX_DELAY_MS }).delayMs).toBe(MAX_DELAY_MS);
    expect(ok({ delayMs: 1.5 }).delayMs).toBe(1.5);
    for (const delayMs of [-1, MAX_DELAY_MS + 1, Number.NaN, Number.POSITIVE_INFINITY, '5'])
      expect(errorOf({ type: 't', payload: 1, delayMs }).message).toContain(
        `"delayMs" must be a number from 0 to ${MAX_DELAY_MS} (got `,
      );
    expect(errorOf({ type: 't', payload: 1, delayMs: Number.NaN }).message).toContain('(got NaN)');
    expect(errorOf({ type: 't', payload: 1, delayMs: 5, runAt: new Date() }).message).toBe(
      '[@mqkit/test] message: give either "delayMs" or "runAt", not both; nothing was published',
    );
  });

  it('"runAt": a valid Date; its delay is counted from now, never negative', () => {
    const soon = ok({ runAt: new Date(Date.now() + 60_000) });
    expect(soon.delayMs).toBeGreaterThan(59_000);
    expect(soon.delayMs).toBeLessThanOrEqual(60_000);
    expect(ok({ runAt: new Date(Date.now() - 60_000) }).delayMs).toBe(0);
    for (const runAt of [new Date(Number.NaN), '2026-01-01', 0])
      expect(errorOf({ type: 't', payload: 1, runAt }).message).toContain(
        '"runAt" must be a valid Date (got ',
      );
  });

  it('a delay needs the delay capability; a zero delay does not', () => {
    const c = ctx({ capabilities: none });
    expect(ok({ delayMs: 0 }, c).delayMs).toBe(0);
    for (const input of [{ delayMs: 1 }, { runAt: new Date(0) }]) {
      const error = errorOf({ type: 't', payload: 1, ...input }, c) as UnsupportedFeatureError;
      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect(error.feature).toBe('delay');
    }
  });

  it('"priority": a 32-bit integer; non-zero needs the priority capability', () => {
    expect(ok({ priority: 2_147_483_647 }).priority).toBe(2_147_483_647);
    expect(ok({ priority: -2_147_483_647 }).priority).toBe(-2_147_483_647);
    expect(ok({}).priority).toBe(0);
    for (const priority of [2_147_483_648, -2_147_483_648, 1.5, '1', Number.NaN])
      expect(errorOf({ type: 't', payload: 1, priority }).message).toContain(
        '"priority" must be an integer (got ',
      );
    const c = ctx({ capabilities: none });
    expect(ok({ priority: 0 }, c).priority).toBe(0);
    const error = errorOf({ type: 't', payload: 1, priority: -1 }, c) as UnsupportedFeatureError;
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error.feature).toBe('priority');
  });

  it('"partitionKey": a non-empty string of at most 256 characters', () => {
    expect(ok({ partitionKey: 'k'.repeat(256) }).partitionKey).toBe('k'.repeat(256));
    for (const partitionKey of ['', 'k'.repeat(257), 5])
      expect(errorOf({ type: 't', payload: 1, partitionKey }).message).toContain(
        '"partitionKey" must be a non-empty string of at most 256 characters (got ',
      );
  });

  it('"maxAttempts": an integer from 1 to 1000', () => {
    expect(ok({ maxAttempts: 1 }).maxAttempts).toBe(1);
    expect(ok({ maxAttempts: 1000 }).maxAttempts).toBe(1000);
    expect(ok({}).maxAttempts).toBeUndefined();
    for (const maxAttempts of [0, 1001, 2.5, '3'])
      expect(errorOf({ type: 't', payload: 1, maxAttempts }).message).toContain(
        '"maxAttempts" must be an integer from 1 to 1000 (got ',
      );
  });

  it('"headers": an object of strings', () => {
    expect(ok({ headers: { a: 'x', b: '' } }).headers).toEqual({ a: 'x', b: '' });
    expect(ok({}).headers).toEqual({});
    for (const headers of [null, ['a'], 'a=b', 3])
      expect(errorOf({ type: 't', payload: 1, headers }).message).toContain(
        '"headers" must be an object of strings (got ',
      );
    expect(errorOf({ type: 't', payload: 1, headers: { a: 'x', n: 1 } }).message).toContain(
      'header "n" must be a string (got 1)',
    );
  });
});

describe('prepareMessage: the prepared message', () => {
  it('carries every field; the size is body + type + headers + key', () => {
    const p = ok({
      type: 'order',
      payload: { n: 1 },
      id: 'id-1',
      partitionKey: 'key',
      headers: { hh: 'vvv' },
      maxAttempts: 4,
      priority: 2,
      delayMs: 10,
    });
    expect(p).toEqual({
      id: 'id-1',
      type: 'order',
      body: '{"n":1}',
      delayMs: 10,
      runAt: undefined,
      partitionKey: 'key',
      headers: { hh: 'vvv' },
      maxAttempts: 4,
      priority: 2,
      size: 7 + 5 + 5 + 3,
    });
  });

  it('maxMessageBytes: the limit itself passes, one byte over fails with the sizes and index', () => {
    // body '"xxxx"' (n + 2 bytes) + type 't' (1): at the limit with n = limit - 3.
    const limit = 100;
    const c = ctx({ maxMessageBytes: limit });
    expect(ok({ payload: 'x'.repeat(limit - 3) }, c).size).toBe(limit);
    const error = errorOf(
      { type: 't', payload: 'x'.repeat(limit - 2) },
      c,
      2,
      true,
    ) as MessageTooLargeError;
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error.size).toBe(limit + 1);
    expect(error.limit).toBe(limit);
    expect(error.index).toBe(2);
    expect(error.message).toBe(
      `[@mqkit/test] message[2] is ${limit + 1} bytes serialised, over the limit of ${limit} bytes; store large data elsewhere and publish a reference, or raise "maxMessageBytes"; nothing was published`,
    );
  });

  it('counts UTF-8 bytes, not characters, of the body, type, headers and key', () => {
    const c = ctx({ maxMessageBytes: 34 });
    // 'é' is one UTF-16 unit and two UTF-8 bytes: 12 of them are 24 bytes (+2 quotes, +1 type).
    expect(() => ok({ payload: 'é'.repeat(12) }, c)).not.toThrow();
    expect(errorOf({ type: 't', payload: 'é'.repeat(19) }, c)).toBeInstanceOf(MessageTooLargeError);
    const keyed = errorOf(
      { type: 'é'.repeat(5), payload: '', partitionKey: 'é'.repeat(10), headers: { h: 'vv' } },
      c,
    ) as MessageTooLargeError;
    expect(keyed.size).toBe(2 + 10 + 3 + 20);
    const within = ok({ type: 'é'.repeat(5), payload: '', partitionKey: 'é'.repeat(9) }, c);
    expect(within.size).toBe(2 + 10 + 18);
  });

  it('serializer failures become a SerializationError that names the serializer and keeps the cause', () => {
    const cause = new Error('cyclic');
    const throwing: Serializer = {
      name: 'broken',
      serialize: () => {
        throw cause;
      },
      deserialize: (s) => s,
    };
    const error = errorOf({ type: 't', payload: 1 }, ctx({ serializer: throwing }), 1, true);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).path).toBe('payload');
    expect((error as SerializationError).index).toBe(1);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      '[@mqkit/test] message[1]: serializer "broken" failed: cyclic; nothing was published',
    );
    const nonString: Serializer = {
      name: 'numbers',
      serialize: () => 5 as unknown as string,
      deserialize: (s) => s,
    };
    const returned = errorOf({ type: 't', payload: 1 }, ctx({ serializer: nonString }));
    expect(returned).toBeInstanceOf(SerializationError);
    expect((returned as SerializationError).path).toBe('payload');
    expect(returned.message).toBe(
      '[@mqkit/test] message: serializer "numbers" returned number, expected a string; nothing was published',
    );
  });

  it('a SerializationError from the serializer keeps its path and gains where it happened', () => {
    const error = errorOf({ type: 't', payload: { n: 1n } }) as SerializationError;
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.path).toBe('payload.n');
    expect(error.message).toMatch(/^\[@mqkit\/test\] message: .*; nothing was published$/);
    expect(error.cause).toBeInstanceOf(SerializationError);
  });
});

describe('prepareMessages: a batch, and trace headers', () => {
  it('takes one message or an array, and names batch members by index', () => {
    expect(prepareMessages({ type: 't', payload: 1 }, ctx())).toHaveLength(1);
    expect(prepareMessages([{ type: 'a', payload: 1 }], ctx())[0]?.type).toBe('a');
    const batch = prepareMessages(
      [
        { type: 'a', payload: 1 },
        { type: 'b', payload: 2 },
      ],
      ctx(),
    );
    expect(batch.map((p) => p.type)).toEqual(['a', 'b']);
    // One message alone is "message", in a batch of one too.
    expect(() => prepareMessages([{ type: '', payload: 1 }], ctx())).toThrow(
      '[@mqkit/test] message: "type"',
    );
    expect(() =>
      prepareMessages(
        [
          { type: 'a', payload: 1 },
          { type: '', payload: 1 },
        ],
        ctx(),
      ),
    ).toThrow('[@mqkit/test] message[1]: "type"');
  });

  const tracing = (
    propagate: LifecycleProvider['propagate'],
  ): { lifecycle: ReturnType<typeof createLifecycleDispatcher>; queue: string } => ({
    lifecycle: createLifecycleDispatcher({ name: 'trace', onEvent() {}, propagate }, silent),
    queue: 'orders',
  });

  it('adds propagated headers after validation; the publisher’s own headers win; size counts them', () => {
    const seen: unknown[] = [];
    const trace = tracing((info) => {
      seen.push(info);
      return info.index === 1 ? undefined : { traceparent: `tp-${info.index}`, own: 'trace' };
    });
    const [a, b] = prepareMessages(
      [
        { type: 'a', payload: 1, headers: { own: 'mine' } },
        { type: 'b', payload: 2 },
      ],
      ctx(),
      trace,
    );
    expect(a?.headers).toEqual({ traceparent: 'tp-0', own: 'mine' });
    expect(a?.size).toBe(1 + 1 + 7 + ('traceparent'.length + 4));
    expect(b?.headers).toEqual({});
    expect(b?.size).toBe(2);
    expect(seen).toEqual([
      { provider: 'test', queue: 'orders', type: 'a', index: 0, batchSize: 2 },
      { provider: 'test', queue: 'orders', type: 'b', index: 1, batchSize: 2 },
    ]);
  });

  it('a message that trace headers push over the limit fails with its index; at the limit it passes', () => {
    const trace = tracing(() => ({ tp: 'x'.repeat(5) }));
    // body '1' + type 't' = 2, + 'tp' + 5 = 9.
    expect(
      prepareMessages({ type: 't', payload: 1 }, ctx({ maxMessageBytes: 9 }), trace)[0]?.size,
    ).toBe(9);
    let error: unknown;
    try {
      prepareMessages(
        [
          { type: 't', payload: 1 },
          { type: 't', payload: 22 },
        ],
        ctx({ maxMessageBytes: 9 }),
        trace,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).index).toBe(1);
    expect((error as MessageTooLargeError).size).toBe(10);
    expect((error as Error).message).toBe(
      '[@mqkit/test] message[1] is 10 bytes serialised with its trace headers, over the limit of 9 bytes; nothing was published',
    );
  });

  it('no trace, or a lifecycle without propagate, adds nothing', () => {
    const plain = { lifecycle: createLifecycleDispatcher([], silent), queue: 'q' };
    expect(prepareMessages({ type: 't', payload: 1 }, ctx(), plain)[0]?.headers).toEqual({});
    expect(prepareMessages({ type: 't', payload: 1 }, ctx())[0]?.headers).toEqual({});
  });
});

import { ConfigurationError, jsonSerializer, ValidationError } from '@mqkit/core';
import {
  createKinesisQueue,
  KINESIS_PUT_LIMITS,
  partitionKeyOf,
  planBatches,
  queueKeys,
  streamNameOf,
} from '@mqkit/kinesis';
import { describe, expect, it } from 'vitest';
import {
  decodeRecords,
  halves,
  laneOf,
  lanesPerShard,
  messageOf,
} from '../src/consumer/records.js';
import { readyShards } from '../src/consumer/shards.js';
import { deadLetterEntry } from '../src/dead-letter/entry.js';
import { decodeEnvelope, encodeEnvelope, writesInline } from '../src/envelope.js';
import { createLingerBuffer } from '../src/producer/linger.js';

describe('planBatches (PutRecords within the service limits)', () => {
  it('splits at 500 records and keeps order', () => {
    const batches = planBatches(new Array(1201).fill(10), KINESIS_PUT_LIMITS);
    expect(batches).toEqual([
      [0, 500],
      [500, 1000],
      [1000, 1201],
    ]);
  });
  it('splits before a call would pass 5 MiB', () => {
    const mib = 1024 * 1024;
    const batches = planBatches([mib, mib, mib, mib, mib, 1, mib], KINESIS_PUT_LIMITS);
    expect(batches).toEqual([
      [0, 5],
      [5, 7],
    ]);
    for (const [s, e] of batches) {
      const bytes = [mib, mib, mib, mib, mib, 1, mib].slice(s, e).reduce((a, b) => a + b, 0);
      expect(bytes).toBeLessThanOrEqual(KINESIS_PUT_LIMITS.maxBytes);
    }
  });
  it('puts nothing in no call for no records', () => {
    expect(planBatches([], KINESIS_PUT_LIMITS)).toEqual([]);
  });
});

describe('partition keys', () => {
  const m = { id: 'id-1', type: 'order.created', payload: { customer: { id: 42 } } };
  it('explicit key wins over every strategy', () => {
    expect(partitionKeyOf('k', m, 'type')).toBe('k');
  });
  it("defaults to the id (even spread); 'type' puts a type on one key", () => {
    expect(partitionKeyOf(undefined, m, 'id')).toBe('id-1');
    expect(partitionKeyOf(undefined, m, 'type')).toBe('order.created');
  });
  it('reads a payload field path, falling back to the id when absent', () => {
    expect(partitionKeyOf(undefined, m, { field: 'customer.id' })).toBe('42');
    expect(partitionKeyOf(undefined, m, { field: 'customer.name' })).toBe('id-1');
  });
  it('random keys differ; a function decides; a bad function result is a ValidationError', () => {
    expect(partitionKeyOf(undefined, m, 'random')).not.toBe(partitionKeyOf(undefined, m, 'random'));
    expect(partitionKeyOf(undefined, m, (x) => `t-${x.type}`)).toBe('t-order.created');
    expect(() => partitionKeyOf(undefined, m, () => '')).toThrow(ValidationError);
  });
  it('clips keys to the 256 characters Kinesis allows', () => {
    expect(partitionKeyOf(undefined, m, () => 'x'.repeat(300))).toHaveLength(256);
  });
});

describe('stream names and Redis keys', () => {
  it('maps namespace:queue to namespace.queue, collision-free', () => {
    expect(streamNameOf('orders', undefined, {}, 'kinesis')).toBe('orders');
    expect(streamNameOf('orders', 'prod', {}, 'kinesis')).toBe('prod.orders');
    // An un-namespaced "prod.orders" would collide with namespace prod + queue orders.
    expect(() => streamNameOf('prod.orders', undefined, {}, 'kinesis')).toThrow(
      /map it explicitly/,
    );
    expect(
      streamNameOf('prod.orders', undefined, { 'prod.orders': 'legacy-orders' }, 'kinesis'),
    ).toBe('legacy-orders');
  });
  it('rejects a stream name over 128 characters', () => {
    expect(() => streamNameOf('q'.repeat(100), 'n'.repeat(40), {}, 'kinesis')).toThrow(
      ValidationError,
    );
  });
  it('every key of a queue shares one hash tag', () => {
    const keys = queueKeys('mqkit', 'prod', 'orders');
    const tags = [
      keys.lease('shardId-0'),
      keys.checkpoint('shardId-1'),
      keys.deadLetterIndex,
      keys.deadLetterData,
    ].map((k) => /\{([^}]*)\}/.exec(k)?.[1]);
    expect(new Set(tags)).toEqual(new Set(['prod:orders']));
  });
});

describe('resharding order (readyShards)', () => {
  const shards = [
    { shardId: 'p', parents: [] },
    { shardId: 'a', parents: ['p'] },
    { shardId: 'b', parents: ['p'] },
    { shardId: 'm', parents: ['a', 'b'] },
  ];
  it('children wait until every listed parent is finished', () => {
    expect(readyShards(shards, new Set()).map((s) => s.shardId)).toEqual(['p']);
    expect(readyShards(shards, new Set(['p'])).map((s) => s.shardId)).toEqual(['a', 'b']);
    expect(readyShards(shards, new Set(['p', 'a'])).map((s) => s.shardId)).toEqual(['b']);
    expect(readyShards(shards, new Set(['p', 'a', 'b'])).map((s) => s.shardId)).toEqual(['m']);
  });
  it('a parent no longer listed (trimmed) does not block its children', () => {
    expect(readyShards(shards.slice(1), new Set()).map((s) => s.shardId)).toEqual(['a', 'b']);
  });
});

describe('envelope and bisection helpers', () => {
  const head = { id: 'a', type: 't', createdAt: 5, headers: { h: 'v' } };
  const record = (data: Buffer, i = 0) => ({
    Data: data,
    SequenceNumber: String(i),
    PartitionKey: 'k',
    ApproximateArrivalTimestamp: new Date(7),
  });
  it('writes a JSON payload inline (v2), any other serializer as a string (v1), and reads both', () => {
    const e = { ...head, body: '{"x":1}' };
    const v2 = encodeEnvelope(e, true);
    expect(v2.toString()).toBe(
      '{"v":2,"id":"a","type":"t","createdAt":5,"headers":{"h":"v"},"payload":{"x":1}}',
    );
    expect(decodeEnvelope(v2)).toEqual({ v: 2, ...head, payload: { x: 1 } });
    const v1 = encodeEnvelope(e, false);
    expect(JSON.parse(v1.toString())).toEqual({ v: 1, ...e });
    expect(decodeEnvelope(v1)).toEqual({ v: 1, ...e });
    expect(writesInline(jsonSerializer)).toBe(true);
    expect(writesInline({ ...jsonSerializer })).toBe(false);
  });
  it('decodes records written in the v1 layout by earlier versions, and v2 ones, to the same message', () => {
    // Bytes exactly as mqkit wrote them before v2 (payload as a string inside the envelope).
    const old = Buffer.from(
      '{"v":1,"id":"a","type":"t","body":"{\\"x\\":1}","createdAt":5,"headers":{"h":"v"}}',
    );
    const [fromV1, fromV2] = decodeRecords(
      [record(old, 1), record(encodeEnvelope({ ...head, body: '{"x":1}' }, true), 2)],
      jsonSerializer,
    );
    for (const [r, seq] of [
      [fromV1, '1'],
      [fromV2, '2'],
    ] as const) {
      expect(r?.poison).toBeUndefined();
      expect(r && messageOf(r, 'q', 's', 1, 3)).toEqual({
        id: 'a',
        queue: 'q',
        type: 't',
        payload: { x: 1 },
        attempt: 1,
        maxAttempts: 3,
        createdAt: new Date(5),
        runAt: new Date(5),
        partitionKey: undefined,
        priority: 0,
        headers: { h: 'v' },
        meta: { shardId: 's', sequenceNumber: seq, recordPartitionKey: 'k' },
      });
    }
    expect([fromV1?.index, fromV2?.index]).toEqual([0, 1]);
  });
  it('calls anything else poison, and a v1 payload the serializer rejects too', () => {
    for (const text of [
      'not json',
      '{"v":2}',
      '{"v":2,"id":"a","type":"t","createdAt":5}',
      '{"v":3,"id":"a","type":"t","createdAt":5,"payload":1}',
      '{"v":1,"id":"a","type":"t","createdAt":5}',
      '"a string"',
    ])
      expect(decodeEnvelope(Buffer.from(text))).toBeUndefined();
    const [bad] = decodeRecords(
      [record(Buffer.from('{"v":1,"id":"a","type":"t","body":"{oops","createdAt":5}'))],
      jsonSerializer,
    );
    expect(bad?.payload).toBeUndefined();
    expect(bad?.poison?.name).toBe('SerializationError');
    expect(bad?.envelope?.body).toBe('{oops');
  });
  it('reads record bytes as UTF-8 from any Uint8Array view: malformed bytes become U+FFFD, a leading byte-order mark makes the record poison', () => {
    const text = '{"v":2,"id":"a","type":"t","createdAt":5,"payload":"é€😀"}';
    const bytes = Buffer.from(`..${text}..`);
    // A view into a larger buffer, as the SDK hands out record data.
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.byteLength - 4);
    expect(decodeEnvelope(view)).toMatchObject({ id: 'a', payload: 'é€😀' });
    const malformed = Buffer.concat([
      Buffer.from('{"v":2,"id":"a","type":"t","createdAt":5,"payload":"x'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('y"}'),
    ]);
    expect(decodeEnvelope(malformed)).toMatchObject({ payload: 'x\ufffd(\ufffdy' });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(decodeEnvelope(bom)).toBeUndefined();
  });
  it("a dead letter's maxAttempts: the envelope's, else the consumer's for a readable record, else 1", () => {
    const [given, unset, unreadable, notEnvelope] = decodeRecords(
      [
        record(encodeEnvelope({ ...head, body: '1', maxAttempts: 9 }, false)),
        record(encodeEnvelope({ ...head, body: '1' }, false)),
        record(Buffer.from('{"v":1,"id":"a","type":"t","body":"{oops","createdAt":5}')),
        record(Buffer.from('not json')),
      ],
      jsonSerializer,
    );
    const maxOf = (r: typeof given) =>
      r && deadLetterEntry(r, 's', new Error('x'), 1, 'max-attempts', 4).maxAttempts;
    expect([maxOf(given), maxOf(unset), maxOf(unreadable), maxOf(notEnvelope)]).toEqual([
      9, 4, 1, 1,
    ]);
  });
  it('lanes per shard: an equal share of concurrency over the owned shards, from 1 to 10', () => {
    expect(
      [
        [4, 4],
        [4, 8],
        [4, 3],
        [4, 1],
        [4, 0],
        [50, 1],
        [50, 4],
        [1, 1],
      ].map(([concurrency, owned]) => lanesPerShard(concurrency as number, owned as number)),
    ).toEqual([1, 1, 2, 4, 4, 10, 10, 1]);
  });
  it('lanes: one key always maps to one lane, and keys spread over every lane', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (const k of keys) expect(laneOf(k, 4)).toBe(laneOf(k, 4));
    expect(new Set(keys.map((k) => laneOf(k, 4)))).toEqual(new Set([0, 1, 2, 3]));
    expect(laneOf('anything', 1)).toBe(0);
  });
  it('halves split with the larger half first', () => {
    expect(halves([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(halves([1])).toEqual([[1], []]);
  });
});

describe('options are validated at construction', () => {
  it.each([
    [{ keyPrefix: 42 }, 'keyPrefix'],
    [{ partitionKey: 'shard' }, 'partitionKey'],
    [{ producer: { maxBatchRecords: 501 } }, 'producer.maxBatchRecords'],
    [{ producer: { envelopeVersion: 3 } }, 'producer.envelopeVersion'],
    [{ consumer: { getRecordsIntervalMs: 100 } }, 'consumer.getRecordsIntervalMs'],
    [{ consumer: { startPosition: 'EARLIEST' } }, 'consumer.startPosition'],
    [{ streams: { orders: 'has:colon' } }, 'streams.orders'],
    [{ kinesis: { endpoint: 'http://x', regoin: 'eu' } }, 'kinesis.regoin'],
    [{ redis: 42 }, 'redis'],
  ])('%j fails on %s', (options, field) => {
    try {
      createKinesisQueue(options as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).field).toBe(field);
    }
  });
});

describe('linger buffer (the producer side; the sender is a recording function)', () => {
  const entry = (n: number, size = 10) => ({
    Data: new TextEncoder().encode(String(n)),
    PartitionKey: 'k',
    size,
  });
  const text = (e: { Data: Uint8Array }) => new TextDecoder().decode(e.Data);

  it('sends one stream at a time, in add order, and splits outcomes back per caller', async () => {
    const sends: string[][] = [];
    let inFlight = 0;
    let overlapped = false;
    const buffer = createLingerBuffer(
      { maxDelayMs: 5, maxRecords: 2 },
      KINESIS_PUT_LIMITS,
      async (_s, entries) => {
        if (++inFlight > 1) overlapped = true;
        sends.push(entries.map(text));
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return entries.map((e) =>
          text(e) === '3' ? new Error('entry 3 failed') : `seq-${text(e)}`,
        );
      },
    );
    const results = await Promise.allSettled([
      buffer.add('s', [entry(1), entry(2)]), // full (maxRecords): sent at once
      buffer.add('s', [entry(3)]),
      buffer.add('s', [entry(4)]), // 3 + 4 reach maxRecords while the first send runs
      buffer.add('s', [entry(5)]), // sent by the timer
    ]);
    expect(sends).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(overlapped).toBe(false);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[0] as PromiseFulfilledResult<string[]>).value).toEqual(['seq-1', 'seq-2']);
    expect((results[2] as PromiseFulfilledResult<string[]>).value).toEqual(['seq-4']);
  });

  it('a full call of bytes is sent at once; flush() sends the rest and waits for it', async () => {
    const sends: string[][] = [];
    const buffer = createLingerBuffer(
      { maxDelayMs: 60_000, maxRecords: 500 },
      { ...KINESIS_PUT_LIMITS, maxBytes: 100 },
      async (_s, entries) => {
        sends.push(entries.map(text));
        return entries.map((e) => text(e));
      },
    );
    const big = buffer.add('s', [entry(1, 60), entry(2, 40)]); // 100 bytes: a full call
    await big;
    const small = buffer.add('s', [entry(3)]);
    expect(sends).toEqual([['1', '2']]);
    await buffer.flush();
    expect(await small).toEqual(['3']);
    expect(sends).toEqual([['1', '2'], ['3']]);
  });
});

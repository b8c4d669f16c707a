// jsonSerializer and findUnserializable, case by case: which values are refused, the exact path
// and reason reported, and which look-alikes are accepted.
import { describe, expect, it } from 'vitest';
import { findUnserializable, jsonSerializer, SerializationError } from '../src/index.js';

const serializeError = (payload: unknown): SerializationError => {
  try {
    jsonSerializer.serialize(payload);
  } catch (error) {
    return error as SerializationError;
  }
  throw new Error('serialize did not throw');
};

describe('findUnserializable reasons', () => {
  it('names each kind of value JSON cannot hold', () => {
    expect(findUnserializable({ n: 1n })?.reason).toBe(
      'is a BigInt (convert it to a string or number first)',
    );
    expect(findUnserializable({ f: () => 1 })?.reason).toBe('is a function');
    expect(findUnserializable({ s: Symbol('x') })?.reason).toBe('is a symbol');
    expect(findUnserializable({ m: new Map() })?.reason).toBe(
      'is a Map (convert it to an array or object first)',
    );
    expect(findUnserializable({ s: new Set() })?.reason).toBe(
      'is a Set (convert it to an array or object first)',
    );
    expect(findUnserializable({ w: new WeakMap() })?.reason).toBe(
      'is a WeakMap (convert it to an array or object first)',
    );
    expect(findUnserializable({ w: new WeakSet() })?.reason).toBe(
      'is a WeakSet (convert it to an array or object first)',
    );
    expect(findUnserializable(undefined)).toEqual({ path: 'payload', reason: 'is undefined' });
  });
  it('accepts plain values, null, nested undefined, objects with toJSON, and shared references', () => {
    for (const ok of [
      'text',
      0,
      false,
      null,
      [],
      {},
      { a: undefined },
      { at: new Date(0) },
      { custom: { toJSON: () => 'x', inner: 1n } },
      [1, [2, [3, { deep: 'ok' }]]],
    ])
      expect(findUnserializable(ok)).toBeUndefined();
  });
  it('ignores inherited properties, as JSON.stringify does', () => {
    const proto = { bad: 1n };
    const value = Object.create(proto) as Record<string, unknown>;
    value.good = 1;
    expect(findUnserializable(value)).toBeUndefined();
  });
});

describe('findUnserializable paths', () => {
  it('formats identifiers with dots, other keys and indices with brackets', () => {
    expect(findUnserializable({ items: [0, { owner: 1n }] })?.path).toBe('payload.items[1].owner');
    expect(findUnserializable({ $id: { _x9: 1n } })?.path).toBe('payload.$id._x9');
    expect(findUnserializable({ '9lives': 1n })?.path).toBe('payload["9lives"]');
    expect(findUnserializable({ 'a-b': 1n })?.path).toBe('payload["a-b"]');
    expect(findUnserializable({ 'a.b': 1n })?.path).toBe('payload["a.b"]');
    expect(findUnserializable({ 'x y': { ok: 1, bad: 1n } })?.path).toBe('payload["x y"].bad');
    expect(findUnserializable([[1n]])?.path).toBe('payload[0][0]');
  });
  it('reports the first problem in order, after fine siblings', () => {
    expect(findUnserializable({ a: [1, 2, 3], b: { c: 'ok', d: [4, () => 0] }, e: 1n })).toEqual({
      path: 'payload.b.d[1]',
      reason: 'is a function',
    });
    expect(findUnserializable([{ ok: 1 }, 'x', [5n]])).toEqual({
      path: 'payload[2][0]',
      reason: 'is a BigInt (convert it to a string or number first)',
    });
  });
  it('uses the root it is given', () => {
    expect(findUnserializable({ a: 1n }, 'headers')?.path).toBe('headers.a');
    expect(findUnserializable(undefined, 'message')?.path).toBe('message');
  });
  it('finds circular references through arrays, and siblings sharing an object are fine', () => {
    const list: unknown[] = [1];
    list.push({ back: list });
    expect(findUnserializable({ list })).toEqual({
      path: 'payload.list[1].back',
      reason: 'is a circular reference',
    });
    const shared = [1];
    expect(findUnserializable([shared, shared, { again: shared }])).toBeUndefined();
  });
});

describe('jsonSerializer', () => {
  it('is named json and serialises to the JSON text', () => {
    expect(jsonSerializer.name).toBe('json');
    expect(jsonSerializer.serialize({ a: [1, 'b'], n: null })).toBe('{"a":[1,"b"],"n":null}');
    expect(jsonSerializer.deserialize('{"a":[1,"b"]}')).toEqual({ a: [1, 'b'] });
  });
  it('throws a SerializationError naming the path, the reason and what to do', () => {
    const error = serializeError({ order: { total: 10n } });
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.path).toBe('payload.order.total');
    expect(error.message).toBe(
      'payload.order.total is a BigInt (convert it to a string or number first); payloads must be JSON-serialisable (use plain objects, arrays, strings, finite numbers, booleans, null), or pass a custom serializer',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { findUnserializable, jsonSerializer, SerializationError } from '../src/index.js';

describe('jsonSerializer', () => {
  it('round-trips plain JSON values and Dates (as ISO strings)', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const body = jsonSerializer.serialize({ a: [1, 'x', null, true], at });
    expect(jsonSerializer.deserialize(body)).toEqual({
      a: [1, 'x', null, true],
      at: at.toISOString(),
    });
  });

  it.each([
    [{ a: { b: [0, 1n] } }, 'payload.a.b[1]', 'BigInt'],
    [{ 'weird key': () => 0 }, 'payload["weird key"]', 'function'],
    [{ tags: new Set(['a']) }, 'payload.tags', 'Set'],
    [{ byId: new Map() }, 'payload.byId', 'Map'],
    [undefined, 'payload', 'undefined'],
  ])('rejects %o at %s', (payload, path, word) => {
    let error: unknown;
    try {
      jsonSerializer.serialize(payload);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).path).toBe(path);
    expect((error as Error).message).toContain(word);
  });

  it('finds a circular reference but accepts shared (non-circular) references', () => {
    const shared = { x: 1 };
    expect(findUnserializable({ a: shared, b: shared })).toBeUndefined();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(findUnserializable(loop)).toEqual({
      path: 'payload.self',
      reason: 'is a circular reference',
    });
  });
});

// The message lists of `delivered` and `succeeded` events: read in place, infos copied out, and for handler calls started
// together gathered only when a provider reads an item (a counter reads `length` alone).
import { describe, expect, it } from 'vitest';
import { messageInfoList, startedClaimsList } from '../src/consumer/message-info.js';
import type { MessageInfo } from '../src/index.js';

interface TestClaim extends MessageInfo {
  readonly token: string;
}

const claim = (id: string, type = 't', createdAt = new Date(1_000)): TestClaim => ({
  id,
  type,
  attempt: 1,
  createdAt,
  partitionKey: undefined,
  token: `lease-${id}`,
});

/** A call's claims whose element reads are counted (the list must not read them to answer `length`). */
function counted(claims: TestClaim[], reads: { n: number }): { readonly claims: TestClaim[] } {
  const proxy = new Proxy(claims, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads.n++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { claims: proxy };
}

describe('startedClaimsList', () => {
  it('counts the claims of every call without reading one', () => {
    const reads = { n: 0 };
    const list = startedClaimsList(counted([claim('a')], reads), [
      counted([claim('b'), claim('c')], reads),
      counted([claim('d')], reads),
    ]);
    expect(list.length).toBe(4);
    expect(reads.n).toBe(0);
  });

  it('lists the claims in start order once read, the first call then the others', () => {
    const reads = { n: 0 };
    const list = startedClaimsList(counted([claim('a', 'x')], reads), [
      counted([claim('b', 'y'), claim('c', 'z', new Date(2_000))], reads),
      counted([claim('d')], reads),
    ]);
    expect([...list].map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(list.typeAt(1)).toBe('y');
    expect(list.createdAtMs(2)).toBe(2_000);
    expect(list.at(-1)?.id).toBe('d');
    expect(list.at(4)).toBeUndefined();
    // Gathered once: later reads do not walk the calls again.
    const afterFirst = reads.n;
    expect(list.typeAt(3)).toBe('t');
    expect([...list]).toHaveLength(4);
    expect(reads.n).toBe(afterFirst);
  });

  it('reads a call started alone in place', () => {
    const list = startedClaimsList({ claims: [claim('a'), claim('b')] }, undefined);
    expect(list.length).toBe(2);
    expect(list.at(0)?.id).toBe('a');
  });

  it('hands out the five info fields only, never the lease token', () => {
    const list = startedClaimsList({ claims: [claim('a')] }, [{ claims: [claim('b')] }]);
    const info = list.at(1);
    expect(info).toEqual({
      id: 'b',
      type: 't',
      attempt: 1,
      createdAt: new Date(1_000),
      partitionKey: undefined,
    });
    expect(JSON.stringify(list)).not.toContain('lease-');
  });
});

describe('messageInfoList', () => {
  it('reads the items in place and copies infos out', () => {
    const items = [claim('a'), claim('b')];
    const list = messageInfoList(items);
    expect(list.length).toBe(2);
    expect(list.typeAt(0)).toBe('t');
    expect(list.at(-2)?.id).toBe('a');
    expect(list.at(0)).not.toBe(items[0]);
    expect(JSON.stringify(list)).not.toContain('lease-');
  });
});

import { describe, expect, it } from 'vitest';
import { type ListLinks, RunList } from '../src/consumer/run-list.js';

class Item implements ListLinks<Item> {
  listPrev: Item | undefined = undefined;
  listNext: Item | undefined = undefined;
  listed = false;
  constructor(readonly n: number) {}
}

const ns = (list: RunList<Item>): number[] => [...list].map((i) => i.n);

describe('RunList (the consume loop running set)', () => {
  it('keeps insertion order and a size across adds and deletes anywhere', () => {
    const list = new RunList<Item>();
    const items = [0, 1, 2, 3, 4].map((n) => new Item(n));
    for (const item of items) list.add(item);
    list.add(items[2] as Item); // already listed: nothing changes
    expect(ns(list)).toEqual([0, 1, 2, 3, 4]);
    expect(list.delete(items[0] as Item)).toBe(true);
    expect(list.delete(items[2] as Item)).toBe(true);
    expect(list.delete(items[4] as Item)).toBe(true);
    expect(list.delete(items[4] as Item)).toBe(false);
    expect(list.size).toBe(2);
    expect(ns(list)).toEqual([1, 3]);
    list.add(items[0] as Item);
    expect(ns(list)).toEqual([1, 3, 0]);
    list.clear();
    expect(list.size).toBe(0);
    expect(ns(list)).toEqual([]);
    expect(items.every((i) => !i.listed && i.listNext === undefined)).toBe(true);
  });

  it('iteration survives deletes during it: the current member and later ones (those are skipped)', () => {
    const list = new RunList<Item>();
    const items = [0, 1, 2, 3].map((n) => new Item(n));
    for (const item of items) list.add(item);
    const seen: number[] = [];
    for (const item of list) {
      seen.push(item.n);
      list.delete(item);
      if (item.n === 1) list.delete(items[2] as Item);
    }
    expect(seen).toEqual([0, 1, 3]);
    expect(list.size).toBe(0);
  });

  it('a deleted member links to nothing (a handler keeping its context keeps no other call alive)', () => {
    const list = new RunList<Item>();
    const [a, b, c] = [new Item(0), new Item(1), new Item(2)];
    list.add(a);
    list.add(b);
    list.add(c);
    list.delete(b);
    expect([b.listPrev, b.listNext]).toEqual([undefined, undefined]);
    expect(a.listNext).toBe(c);
    expect(c.listPrev).toBe(a);
  });
});

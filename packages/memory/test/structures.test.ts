// The memory store's two data structures, tested alone: order, compaction and removal.
import { describe, expect, it } from 'vitest';
import { Deque } from '../src/deque.js';
import { MinHeap } from '../src/heap.js';

const drain = <T>(d: Deque<T>): T[] => {
  const out: T[] = [];
  for (let x = d.shift(); x !== undefined; x = d.shift()) out.push(x);
  return out;
};

describe('Deque', () => {
  it('is first in, first out, and empty gives undefined', () => {
    const d = new Deque<number>();
    expect(d.length).toBe(0);
    expect(d.peek()).toBeUndefined();
    expect(d.shift()).toBeUndefined();
    d.push(1);
    d.push(2);
    expect(d.length).toBe(2);
    expect(d.peek()).toBe(1);
    expect(d.shift()).toBe(1);
    expect(d.length).toBe(1);
    expect(d.peek()).toBe(2);
    expect(drain(d)).toEqual([2]);
    expect(d.length).toBe(0);
  });
  it('unshift puts an item back in front, reusing the freed slot or growing the array', () => {
    const d = new Deque<string>();
    d.unshift('b');
    d.unshift('a');
    d.push('c');
    expect(d.shift()).toBe('a');
    d.unshift('z');
    expect(d.length).toBe(3);
    expect(drain(d)).toEqual(['z', 'b', 'c']);
  });
  it('keeps order and length across compaction of a long drain', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 5_000; i++) d.push(i);
    for (let i = 0; i < 3_000; i++) expect(d.shift()).toBe(i);
    expect(d.length).toBe(2_000);
    d.unshift(-1);
    d.push(5_000);
    expect(d.length).toBe(2_002);
    expect(d.peek()).toBe(-1);
    expect(drain(d)).toEqual([-1, ...Array.from({ length: 2_001 }, (_, i) => 3_000 + i)]);
  });
  it('compacts the drained head (memory is released, not only skipped)', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 3_000; i++) d.push(i);
    for (let i = 0; i < 1_026; i++) d.shift();
    const items = (d as unknown as { items: unknown[] }).items;
    expect(items.length).toBe(3_000);
    for (let i = 0; i < 500; i++) d.shift();
    // Compacted on the shift that took head past 1,024 and past half the array (the 1,501st).
    expect((d as unknown as { items: unknown[] }).items.length).toBe(1_499);
    expect((d as unknown as { head: number }).head).toBe(25);
    expect(d.peek()).toBe(1_526);
  });
  it('does not compact a short drain', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 1_000; i++) d.push(i);
    for (let i = 0; i < 999; i++) d.shift();
    expect((d as unknown as { items: unknown[] }).items.length).toBe(1_000);
    expect(d.length).toBe(1);
  });
  it('removes an item anywhere after the head, and reports a miss', () => {
    const d = new Deque<string>();
    for (const x of ['a', 'b', 'c', 'd']) d.push(x);
    expect(d.shift()).toBe('a');
    expect(d.remove('a')).toBe(false);
    expect(d.remove('c')).toBe(true);
    expect(d.remove('c')).toBe(false);
    expect(d.length).toBe(2);
    expect(drain(d)).toEqual(['b', 'd']);
  });
});

describe('MinHeap', () => {
  it('pops in order of `less`, whatever the push order, with duplicates', () => {
    const heap = new MinHeap<number>((a, b) => a < b);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peek()).toBeUndefined();
    const values = [5, 3, 9, 1, 7, 3, 8, 2, 6, 4, 0, 10, 1];
    for (const v of values) heap.push(v);
    expect(heap.size).toBe(values.length);
    expect(heap.peek()).toBe(0);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop() as number);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });
  it('keeps the heap order through interleaved pushes and pops', () => {
    const heap = new MinHeap<{ at: number }>((a, b) => a.at < b.at);
    const seq = [50, 20, 80, 10, 60, 30, 70, 40, 90, 0];
    let seed = 7;
    const out: number[] = [];
    const expected: number[] = [];
    const live: number[] = [];
    for (const at of seq) {
      heap.push({ at });
      live.push(at);
      seed = (seed * 31 + 11) % 97;
      if (seed % 3 === 0) {
        live.sort((a, b) => a - b);
        expected.push(live.shift() as number);
        out.push((heap.pop() as { at: number }).at);
      }
    }
    while (heap.size > 0) out.push((heap.pop() as { at: number }).at);
    expected.push(...live.sort((a, b) => a - b));
    expect(out).toEqual(expected);
  });
  it('a max-heap by another comparator: the root is the greatest', () => {
    const heap = new MinHeap<number>((a, b) => a > b);
    for (const v of [2, 9, 4, 9, 1]) heap.push(v);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([9, 9, 4, 2, 1]);
  });
});

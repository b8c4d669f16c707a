// The consume loop's prefetch buffer: a FIFO over the arrays claims arrived in, read from a head index (Array#shift on a long array
// leaves V8's fast path; see claim-buffer.ts).
import { describe, expect, it } from 'vitest';
import { ClaimBuffer } from '../src/consumer/claim-buffer.js';

const drain = (b: ClaimBuffer<number>): number[] => {
  const out: number[] = [];
  for (let c = b.shift(); c !== undefined; c = b.shift()) out.push(c);
  return out;
};

describe('ClaimBuffer', () => {
  it('hands claims out in claim order across appends, single and batched', () => {
    const b = new ClaimBuffer<number>();
    expect(b.shift()).toBeUndefined();
    b.pushAll([1, 2, 3]);
    b.pushAll([4, 5]);
    expect(b.length).toBe(5);
    expect(b.shift()).toBe(1);
    expect(b.take(3)).toEqual([2, 3, 4]);
    b.pushAll([6]);
    expect(b.take(10)).toEqual([5, 6]);
    expect(b.length).toBe(0);
    expect(b.take(2)).toEqual([]);
  });

  it('keeps order and length over a long buffer read one claim at a time', () => {
    const b = new ClaimBuffer<number>();
    const n = 5_000;
    b.pushAll(Array.from({ length: n }, (_, i) => i));
    const first = [];
    for (let i = 0; i < 3_000; i++) first.push(b.shift());
    expect(first).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    b.pushAll([n, n + 1]);
    expect(b.length).toBe(n - 3_000 + 2);
    expect(drain(b)).toEqual(Array.from({ length: n - 3_000 + 2 }, (_, i) => 3_000 + i));
  });

  it('collects, filters and empties what it holds without the claims handed out', () => {
    const b = new ClaimBuffer<number>();
    b.pushAll([1, 2, 3, 4, 5, 6]);
    b.shift();
    const held: number[] = [];
    b.collect(held);
    expect(held).toEqual([2, 3, 4, 5, 6]);
    b.retain((c) => c % 2 === 0);
    expect(b.length).toBe(3);
    expect(b.takeAll()).toEqual([2, 4, 6]);
    expect(b.length).toBe(0);
    b.pushAll([7, 8]);
    b.clear();
    expect(b.shift()).toBeUndefined();
  });

  it('takes a batch across the arrays claims arrived in', () => {
    const b = new ClaimBuffer<number>();
    b.pushAll([1, 2]);
    b.pushAll([]);
    b.pushAll([3, 4, 5]);
    b.pushAll([6]);
    expect(b.shift()).toBe(1);
    expect(b.take(4)).toEqual([2, 3, 4, 5]);
    expect(b.length).toBe(1);
    expect(b.take(4)).toEqual([6]);
  });
});

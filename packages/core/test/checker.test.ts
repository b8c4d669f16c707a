// The option checks every provider builds its options from (`Checker`), the value descriptions in
// their messages (`describe`) and the typo suggestion (`closest`): each rule at its boundary,
// with the exact message a user reads.
import { describe, expect, it } from 'vitest';
import { Checker, closest, describeValue } from '../src/provider.js';
import { configError } from './thrown.js';

const check = new Checker('test');

describe('Checker', () => {
  it('plainObject: rejects null, arrays and non-objects, naming the field', () => {
    expect(() => check.plainObject({}, 'retry')).not.toThrow();
    for (const [value, got] of [
      [null, 'null'],
      [[], 'an array'],
      ['x', '"x"'],
      [3, '3'],
    ] as const) {
      const error = configError(() => check.plainObject(value, 'retry'));
      expect(error.field).toBe('retry');
      expect(error.message).toBe(`[@mqkit/test] option "retry" must be an object (got ${got})`);
    }
  });

  it('knownKeys: names the unknown key under its prefix, with a suggestion when one is close', () => {
    expect(() => check.knownKeys({ a: 1, b: 2 }, ['a', 'b'], '')).not.toThrow();
    const typo = configError(() =>
      check.knownKeys({ maxAttempt: 1 }, ['maxAttempts', 'backoff'], 'retry'),
    );
    expect(typo.field).toBe('retry.maxAttempt');
    expect(typo.message).toBe(
      '[@mqkit/test] option "retry.maxAttempt" is not a known option; did you mean "retry.maxAttempts"? (accepted: maxAttempts, backoff)',
    );
    const top = configError(() =>
      check.knownKeys({ concurency: 1 }, ['concurrency', 'batchSize'], ''),
    );
    expect(top.field).toBe('concurency');
    expect(top.message).toBe(
      '[@mqkit/test] option "concurency" is not a known option; did you mean "concurrency"? (accepted: concurrency, batchSize)',
    );
    const far = configError(() => check.knownKeys({ zzzzzz: 1 }, ['concurrency'], ''));
    expect(far.message).toBe(
      '[@mqkit/test] option "zzzzzz" is not a known option (accepted: concurrency)',
    );
  });

  it('optionalObject: {} when absent; checks the object and its keys when given', () => {
    expect(check.optionalObject(undefined, 'retry', ['a'])).toEqual({});
    const given = { a: 1 };
    expect(check.optionalObject(given, 'retry', ['a'])).toBe(given);
    expect(configError(() => check.optionalObject(5, 'retry', ['a'])).field).toBe('retry');
    expect(configError(() => check.optionalObject({ b: 1 }, 'retry', ['a'])).field).toBe('retry.b');
  });

  it('int: an integer within [min, max], the fallback when undefined', () => {
    expect(check.int(undefined, 'n', 1, 10, 7)).toBe(7);
    expect(check.int(1, 'n', 1, 10, 7)).toBe(1);
    expect(check.int(10, 'n', 1, 10, 7)).toBe(10);
    for (const [value, got] of [
      [0, '0'],
      [11, '11'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      ['5', '"5"'],
    ] as const)
      expect(configError(() => check.int(value, 'n', 1, 10, 7)).message).toBe(
        `[@mqkit/test] option "n" must be an integer from 1 to 10 (got ${got})`,
      );
  });

  it('num: a finite number within [min, max]; MIN_VALUE reads "greater than 0"', () => {
    expect(check.num(undefined, 'x', 0, 1, 0.5)).toBe(0.5);
    expect(check.num(0, 'x', 0, 1, 0.5)).toBe(0);
    expect(check.num(1, 'x', 0, 1, 0.5)).toBe(1);
    expect(check.num(0.25, 'x', 0, 1, 0.5)).toBe(0.25);
    for (const [value, got] of [
      [-0.01, '-0.01'],
      [1.01, '1.01'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NaN, 'NaN'],
      [true, 'boolean'],
    ] as const)
      expect(configError(() => check.num(value, 'x', 0, 1, 0.5)).message).toBe(
        `[@mqkit/test] option "x" must be a number from 0 to 1 (got ${got})`,
      );
    expect(configError(() => check.num(0, 'x', Number.MIN_VALUE, 5, 1)).message).toBe(
      '[@mqkit/test] option "x" must be a number greater than 0 to 5 (got 0)',
    );
  });

  it('boolean: true or false only', () => {
    expect(check.boolean(undefined, 'b', true)).toBe(true);
    expect(check.boolean(false, 'b', true)).toBe(false);
    expect(configError(() => check.boolean('yes', 'b', true)).message).toBe(
      '[@mqkit/test] option "b" must be true or false (got "yes")',
    );
  });

  it('string: a non-empty string, the fallback when undefined', () => {
    expect(check.string(undefined, 's', 'dflt')).toBe('dflt');
    expect(check.string(undefined, 's')).toBeUndefined();
    expect(check.string('v', 's')).toBe('v');
    expect(configError(() => check.string('', 's')).message).toBe(
      '[@mqkit/test] option "s" must be a non-empty string (got "")',
    );
    expect(configError(() => check.string(4, 's')).message).toBe(
      '[@mqkit/test] option "s" must be a non-empty string (got 4)',
    );
  });

  it('oneOf: one of the allowed strings, with the hint in the message', () => {
    expect(check.oneOf(undefined, 'mode', ['a', 'b'])).toBeUndefined();
    expect(check.oneOf('b', 'mode', ['a', 'b'])).toBe('b');
    expect(configError(() => check.oneOf('c', 'mode', ['a', 'b'])).message).toBe(
      '[@mqkit/test] option "mode" must be "a" or "b" (got "c")',
    );
    expect(configError(() => check.oneOf(1, 'mode', ['a'], ', or leave it unset')).message).toBe(
      '[@mqkit/test] option "mode" must be "a", or leave it unset (got 1)',
    );
  });
});

describe('describe (values in error messages)', () => {
  it('shows numbers, short strings, null, arrays, bigints and other types, never a long value', () => {
    expect(describeValue(3)).toBe('3');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('x'.repeat(40))).toBe(`"${'x'.repeat(40)}"`);
    expect(describeValue('x'.repeat(41))).toBe(`"${'x'.repeat(40)}…"`);
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue(12n)).toBe('12n');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({ a: 1 })).toBe('object');
    expect(describeValue(() => 1)).toBe('function');
    expect(describeValue(true)).toBe('boolean');
  });
});

describe('closest (typo suggestions)', () => {
  it('suggests the nearest allowed key within a third of its length (at least 2 edits)', () => {
    expect(closest('batchsize', ['batchSize', 'concurrency'])).toBe('batchSize');
    expect(closest('prefech', ['prefetch', 'pollIntervalMs'])).toBe('prefetch');
    // Two edits away from a short key is still suggested; three is not.
    expect(closest('ab', ['xy'])).toBe('xy');
    expect(closest('abc', ['xyz'])).toBeUndefined();
    // Insertions and deletions count one each.
    expect(closest('retrys', ['retry'])).toBe('retry');
    expect(closest('retries', ['retry'])).toBeUndefined();
    expect(closest('ret', ['retry'])).toBe('retry');
    expect(closest('anything', [])).toBeUndefined();
  });
  it('takes the first of equally close keys', () => {
    expect(closest('cat', ['bat', 'hat'])).toBe('bat');
    expect(closest('cat', ['hat', 'bat'])).toBe('hat');
  });
});

// Dead-letter filters: every criterion's exact boundary, the messages that say what was wrong,
// and selection/paging as providers apply them.
import { describe, expect, it } from 'vitest';
import { type DeadLetter, ValidationError } from '../src/index.js';
import {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  matchesDeadLetter,
  queryCriteria,
  resolveDeadLetterFilter,
  selectDeadLetters,
} from '../src/provider.js';

const letter = (id: string, type: string, at: number): DeadLetter =>
  ({
    message: { id, type },
    error: { name: 'Error', message: 'x' },
    attempts: 1,
    deadLetteredAt: new Date(at),
  }) as unknown as DeadLetter;
const letters = [letter('a', 't1', 100), letter('b', 't2', 200), letter('c', 't1', 300)];
const resolve = (filter: unknown, verb: 'list' | 'replay' | 'purge' = 'list') =>
  resolveDeadLetterFilter(filter, 'memory', verb);
const problem = (filter: unknown, verb: 'list' | 'replay' | 'purge' = 'list'): string => {
  try {
    resolve(filter, verb);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('resolveDeadLetterFilter', () => {
  it('an absent or empty filter selects everything, with the default page', () => {
    for (const filter of [undefined, {}]) {
      const r = resolve(filter);
      expect(r).toEqual({
        ids: undefined,
        type: undefined,
        before: undefined,
        where: undefined,
        all: true,
        limit: DEFAULT_LIST_LIMIT,
        offset: 0,
      });
    }
    expect([DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT]).toEqual([100, 10_000]);
  });
  it('any one criterion means not all', () => {
    for (const filter of [
      { ids: [] },
      { type: 't' },
      { before: new Date() },
      { where: () => true },
    ])
      expect(resolve(filter).all).toBe(false);
  });
  it('names the verb, the key and what it got', () => {
    expect(problem(null, 'purge')).toBe(
      '[@mqkit/memory] deadLetters.purge(): the filter must be an object (got null)',
    );
    expect(problem([], 'replay')).toMatch(
      /^\[@mqkit\/memory\] deadLetters\.replay\(\): the filter must be an object/,
    );
    expect(problem('x')).toMatch(/the filter must be an object/);
    expect(problem({ tpye: 't' }, 'purge')).toBe(
      '[@mqkit/memory] deadLetters.purge(): unknown filter key "tpye"; did you mean "type"? (accepted: ids, type, before, where); nothing was changed',
    );
    expect(problem({ zzzzzz: 1 })).toBe(
      '[@mqkit/memory] deadLetters.list(): unknown filter key "zzzzzz" (accepted: ids, type, before, where, limit, offset); nothing was changed',
    );
    expect(problem({ limit: 5 }, 'purge')).toMatch(/unknown filter key "limit"/);
    expect(problem({ offset: 5 }, 'replay')).toMatch(/unknown filter key "offset"/);
  });
  it('validates ids, type, before and where', () => {
    expect(problem({ ids: 'a' })).toMatch(/"ids" must be an array of message ids/);
    expect(problem({ ids: ['a', ''] })).toMatch(/"ids\[1\]" must be a non-empty string/);
    expect(problem({ ids: [3] })).toMatch(/"ids\[0\]" must be a non-empty string/);
    expect(problem({ ids: ['a\u0000'] })).toMatch(/"ids\[0\]" must not contain U\+0000/);
    expect(problem({ type: '' })).toMatch(/"type" must be a non-empty string/);
    expect(problem({ type: 5 })).toMatch(/"type" must be a non-empty string/);
    expect(problem({ type: '\uD800' })).toMatch(/"type" must not contain an unpaired/);
    expect(problem({ before: new Date(Number.NaN) })).toMatch(
      /"before" must be a valid Date \(got an Invalid Date\)/,
    );
    expect(problem({ before: 5 })).toMatch(/"before" must be a valid Date \(got /);
    expect(problem({ where: 'x' })).toMatch(/"where" must be a function \(deadLetter\) => boolean/);
  });
  it('deduplicates ids, keeping their order', () => {
    expect(resolve({ ids: ['b', 'a', 'b'] }).ids).toEqual(['b', 'a']);
  });
  it('limit is 1–10,000 and offset ≥ 0, integers', () => {
    expect(resolve({ limit: 1, offset: 0 })).toMatchObject({ limit: 1, offset: 0 });
    expect(resolve({ limit: MAX_LIST_LIMIT, offset: 7 })).toMatchObject({
      limit: 10_000,
      offset: 7,
    });
    expect(problem({ limit: 0 })).toMatch(/"limit" must be an integer from 1 to 10000 \(got 0\)/);
    expect(problem({ limit: 10_001 })).toMatch(/"limit" must be an integer from 1 to 10000/);
    expect(problem({ limit: 1.5 })).toMatch(/"limit"/);
    expect(problem({ limit: '5' })).toMatch(/"limit"/);
    expect(problem({ offset: -1 })).toMatch(/"offset" must be an integer from 0 to/);
  });
});

describe('matching and selection', () => {
  it('ids, type and before (strictly earlier) must all match, then where', () => {
    const ids = (filter: unknown) =>
      letters.filter((d) => matchesDeadLetter(resolve(filter), d)).map((d) => d.message.id);
    expect(ids({})).toEqual(['a', 'b', 'c']);
    expect(ids({ ids: ['c', 'a'] })).toEqual(['a', 'c']);
    expect(ids({ ids: [] })).toEqual([]);
    expect(ids({ type: 't1' })).toEqual(['a', 'c']);
    expect(ids({ before: new Date(200) })).toEqual(['a']);
    expect(ids({ before: new Date(201) })).toEqual(['a', 'b']);
    expect(ids({ type: 't1', before: new Date(301) })).toEqual(['a', 'c']);
    expect(ids({ type: 't1', where: (d: DeadLetter) => d.message.id !== 'a' })).toEqual(['c']);
    expect(ids({ ids: ['b'], type: 't1' })).toEqual([]);
  });
  it('selectDeadLetters: matchAll applies every criterion, otherwise only where; page slices', () => {
    const pick = (d: DeadLetter[]) => d.map((x) => x.message.id);
    const typed = resolve({ type: 't1', limit: 1, offset: 1 });
    expect(pick(selectDeadLetters(letters, typed, { matchAll: true }))).toEqual(['a', 'c']);
    expect(pick(selectDeadLetters(letters, typed, { matchAll: true, page: true }))).toEqual(['c']);
    // A store already filtered type in its query: only `where` is left to apply.
    expect(pick(selectDeadLetters(letters, typed))).toEqual(['a', 'b', 'c']);
    const where = resolve({ where: (d: DeadLetter) => d.message.id !== 'b', limit: 5 });
    expect(pick(selectDeadLetters(letters, where))).toEqual(['a', 'c']);
    expect(pick(selectDeadLetters(letters, resolve({ limit: 2 }), { page: true }))).toEqual([
      'a',
      'b',
    ]);
    const copy = selectDeadLetters(letters, resolve({}));
    expect(copy).toEqual(letters);
    expect(copy).not.toBe(letters);
  });
  it('queryCriteria passes only the criteria given', () => {
    const before = new Date(5);
    expect(queryCriteria(resolve({}))).toEqual({});
    expect(queryCriteria(resolve({ ids: ['a'], type: 't', before }))).toEqual({
      ids: ['a'],
      type: 't',
      before,
    });
    expect(Object.keys(queryCriteria(resolve({ type: 't' })))).toEqual(['type']);
  });
});

import { BackendError, type DeadLetter, NotFoundError, ValidationError } from '@mqkit/core';
import { describe, expect, it } from 'vitest';
import { parseTime, selectsAll, toDeadLetterFilter } from '../src/actions/filters.js';
import { resolveConnection } from '../src/connect/connection.js';
import { describeError, ExitCode, exitCodeOf, RefusedError } from '../src/exit.js';
import { duration, oneLine, table } from '../src/render.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('parseTime', () => {
  it('reads durations ago and ISO times', () => {
    expect(parseTime('15m', '--since', NOW).toISOString()).toBe('2026-12-01T11:45:00.000Z');
    expect(parseTime('2d', '--since', NOW).toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(parseTime('2026-11-30T03:00:00Z', '--until', NOW).toISOString()).toBe(
      '2026-11-30T03:00:00.000Z',
    );
  });
  it('names the flag of a value that is not a time', () => {
    expect(() => parseTime('yesterday', '--since', NOW)).toThrow(ValidationError);
    expect(() => parseTime('15 minutes', '--until', NOW)).toThrow(/--until "15 minutes"/);
  });
});

describe('toDeadLetterFilter', () => {
  const letter = (error: string, at: string): DeadLetter =>
    ({
      error: { name: 'Error', message: error },
      deadLetteredAt: new Date(at),
    }) as DeadLetter;
  it('pushes ids, type and until down; since and error text become one predicate', () => {
    const f = toDeadLetterFilter({
      ids: ['a'],
      type: 't',
      until: new Date(NOW),
      since: new Date(NOW - 60_000),
      errorText: 'TIMEOUT',
    });
    expect(f.ids).toEqual(['a']);
    expect(f.type).toBe('t');
    expect(f.before?.getTime()).toBe(NOW);
    expect(f.where?.(letter('upstream timeout', '2026-12-01T11:59:30Z'))).toBe(true);
    expect(f.where?.(letter('upstream timeout', '2026-12-01T11:58:00Z'))).toBe(false);
    expect(f.where?.(letter('bad input', '2026-12-01T11:59:30Z'))).toBe(false);
  });
  it('an empty filter selects all and has no predicate', () => {
    expect(toDeadLetterFilter({})).toEqual({});
    expect(selectsAll({})).toBe(true);
    expect(selectsAll({ ids: [] })).toBe(true);
    expect(selectsAll({ type: 'x' })).toBe(false);
  });
  it('refuses a since after until', () => {
    expect(() => toDeadLetterFilter({ since: new Date(NOW), until: new Date(NOW - 1) })).toThrow(
      /--since must be before --until/,
    );
  });
});

describe('resolveConnection', () => {
  it('--url wins; the scheme picks the backend', () => {
    expect(resolveConnection({ url: 'mariadb://root@h/db' }, { MQKIT_MONGODB_URL: 'x' })).toEqual({
      kind: 'mysql',
      url: 'mariadb://root@h/db',
      source: '--url',
    });
    expect(resolveConnection({}, { MQKIT_MONGODB_URL: 'mongodb+srv://c/db' }).kind).toBe('mongodb');
    expect(resolveConnection({}, { MQKIT_DATABASE_URL: 'postgres://h/db' }).kind).toBe(
      'postgresql',
    );
  });
  it('never echoes a password in its errors', () => {
    expect(() => resolveConnection({ url: 'ftp://u:pw123@h/' }, {})).toThrow(/ftp:/);
    try {
      resolveConnection({ url: 'ftp://u:pw123@h/' }, {});
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('pw123');
    }
  });
});

describe('exit codes and error lines', () => {
  it('maps each error kind to its documented code', () => {
    expect(exitCodeOf(new NotFoundError('queue', 'q', 'no'))).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeOf(new ValidationError('bad'))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new RefusedError('no'))).toBe(ExitCode.REFUSED);
    expect(exitCodeOf(new BackendError('down'))).toBe(ExitCode.FAILED);
    expect(exitCodeOf(new Error('?'))).toBe(ExitCode.FAILED);
  });
  it('prints one redacted line unless --debug', () => {
    const error = new Error('failed at postgres://app:s3cret@db/x\n  detail');
    expect(describeError(error, false)).toBe('mqkit: failed at postgres://app:***@db/x detail');
    expect(describeError(error, true)).toContain('\n');
    expect(describeError(error, true)).not.toContain('s3cret');
  });
});

describe('render', () => {
  it('aligns columns and right-aligns numbers', () => {
    expect(
      table(
        ['Q', 'N'],
        [
          ['a', '5'],
          ['bbb', '120'],
        ],
      ),
    ).toBe('Q      N\na      5\nbbb  120');
    expect(table(['Q'], [])).toBe('Q\n(none)');
  });
  it('prints durations short', () => {
    expect([850, 12_000, 245_000, 11_520_000, 187_200_000].map(duration)).toEqual([
      '850ms',
      '12s',
      '4m05s',
      '3h12m',
      '2d04h',
    ]);
  });
  it('folds text to one line and cuts it', () => {
    expect(oneLine('a\n  b\nc', 4)).toBe('a b…');
  });
});

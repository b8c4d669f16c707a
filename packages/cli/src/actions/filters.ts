import { type DeadLetter, type DeadLetterFilter, ValidationError } from '@mqkit/core';

/** Dead-letter filter as an operator gives it (CLI flags, dashboard query string). */
export interface OperatorFilter {
  /** Only this message type. */
  readonly type?: string;
  /** Only dead-lettered at or after this time. */
  readonly since?: Date;
  /** Only dead-lettered before this time. */
  readonly until?: Date;
  /** Only these message ids. */
  readonly ids?: readonly string[];
  /** Only those whose last error's name or message contains this text (case-insensitive). */
  readonly errorText?: string;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Pure: parses an operator's time: an ISO-8601 date/time, or a duration ago (`90s`, `15m`,
 * `2h`, `7d`) relative to `now`. Throws {@link ValidationError} naming `flag` otherwise.
 */
export function parseTime(value: string, flag: string, now: number): Date {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * (UNITS[relative[2] as string] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ValidationError(
    `${flag} "${value}" is not a time: use ISO-8601 (2026-12-01T03:00:00Z) or a duration ago (15m, 2h, 7d)`,
  );
}

/**
 * Pure: an {@link OperatorFilter} as the {@link DeadLetterFilter} of the core API. `ids`, `type`
 * and `until` (as `before`) go to the backend's query; `since` and `errorText` are a `where`
 * predicate. Throws {@link ValidationError} when `since` is not before `until`.
 */
export function toDeadLetterFilter(filter: OperatorFilter): DeadLetterFilter {
  if (filter.since && filter.until && filter.since.getTime() >= filter.until.getTime()) {
    throw new ValidationError('--since must be before --until');
  }
  const out: DeadLetterFilter = {};
  if (filter.ids !== undefined && filter.ids.length > 0) out.ids = [...filter.ids];
  if (filter.type !== undefined) out.type = filter.type;
  if (filter.until !== undefined) out.before = filter.until;
  const since = filter.since?.getTime();
  const text = filter.errorText?.toLowerCase();
  if (since !== undefined || text !== undefined) {
    out.where = (d: DeadLetter) =>
      (since === undefined || d.deadLetteredAt.getTime() >= since) &&
      (text === undefined || `${d.error.name}: ${d.error.message}`.toLowerCase().includes(text));
  }
  return out;
}

/** Pure: true when the filter selects everything (replay/purge of a whole queue). */
export function selectsAll(filter: OperatorFilter): boolean {
  return (
    (filter.ids === undefined || filter.ids.length === 0) &&
    filter.type === undefined &&
    filter.since === undefined &&
    filter.until === undefined &&
    filter.errorText === undefined
  );
}

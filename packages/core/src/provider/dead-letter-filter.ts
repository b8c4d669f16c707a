import { ValidationError } from '../errors.js';
import { closest, describe } from '../options.js';
import { storableStringProblem } from '../strings.js';
import type { DeadLetter, DeadLetterFilter } from '../types.js';

const FILTER_KEYS = ['ids', 'type', 'before', 'where'] as const;
const LIST_KEYS = [...FILTER_KEYS, 'limit', 'offset'] as const;
/** Largest `limit` a single `list` call accepts. */
export const MAX_LIST_LIMIT = 10_000;
/** `limit` of `list` when none is given. */
export const DEFAULT_LIST_LIMIT = 100;

/** A validated {@link DeadLetterFilter}, plus `limit`/`offset` for `list`. */
export interface ResolvedDeadLetterFilter<D extends DeadLetter = DeadLetter> {
  /** Only these ids (deduplicated), when given. An empty list matches nothing. */
  readonly ids: readonly string[] | undefined;
  readonly type: string | undefined;
  readonly before: Date | undefined;
  readonly where: ((deadLetter: D) => boolean) | undefined;
  /** True when no criterion is given: the verb applies to every dead letter. */
  readonly all: boolean;
  readonly limit: number;
  readonly offset: number;
}

/**
 * Validates a dead-letter filter before any I/O: unknown keys (a typo such as `tpye` would
 * otherwise widen `purge` to everything) fail with a did-you-mean; `ids` must be strings,
 * `type` a string, `before` a valid Date, `where` a function; with `list: true`, `limit` is an
 * integer 1–10 000 (default 100) and `offset` an integer ≥ 0. Throws {@link ValidationError}.
 */
export function resolveDeadLetterFilter<D extends DeadLetter = DeadLetter>(
  filter: unknown,
  provider: string,
  verb: 'list' | 'replay' | 'purge',
): ResolvedDeadLetterFilter<D> {
  const fail = (problem: string): never => {
    throw new ValidationError(`[@mqkit/${provider}] deadLetters.${verb}(): ${problem}`);
  };
  if (filter === undefined) filter = {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    fail(`the filter must be an object (got ${describe(filter)})`);
  const f = filter as Record<string, unknown>;
  const allowed: readonly string[] = verb === 'list' ? LIST_KEYS : FILTER_KEYS;
  for (const key of Object.keys(f)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    fail(
      `unknown filter key "${key}"${guess ? `; did you mean "${guess}"?` : ''} (accepted: ${allowed.join(', ')}); nothing was changed`,
    );
  }
  let ids: string[] | undefined;
  if (f.ids !== undefined) {
    if (!Array.isArray(f.ids))
      fail(`"ids" must be an array of message ids (got ${describe(f.ids)})`);
    ids = [...new Set(f.ids as unknown[])].map((id, i) => {
      const problem =
        typeof id === 'string' && id.length > 0
          ? storableStringProblem(id)
          : 'must be a non-empty string';
      if (problem !== undefined) fail(`"ids[${i}]" ${problem} (got ${describe(id)})`);
      return id as string;
    });
  }
  if (f.type !== undefined) {
    const problem =
      typeof f.type === 'string' && f.type.length > 0
        ? storableStringProblem(f.type)
        : 'must be a non-empty string';
    if (problem !== undefined) fail(`"type" ${problem} (got ${describe(f.type)})`);
  }
  if (f.before !== undefined && (!(f.before instanceof Date) || Number.isNaN(f.before.getTime())))
    fail(
      `"before" must be a valid Date (got ${f.before instanceof Date ? 'an Invalid Date' : describe(f.before)})`,
    );
  if (f.where !== undefined && typeof f.where !== 'function')
    fail(`"where" must be a function (deadLetter) => boolean (got ${describe(f.where)})`);
  const int = (
    value: unknown,
    name: string,
    min: number,
    max: number,
    fallback: number,
  ): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      fail(`"${name}" must be an integer from ${min} to ${max} (got ${describe(value)})`);
    return value as number;
  };
  return {
    ids,
    type: f.type as string | undefined,
    before: f.before as Date | undefined,
    where: f.where as ((deadLetter: D) => boolean) | undefined,
    all:
      ids === undefined && f.type === undefined && f.before === undefined && f.where === undefined,
    limit: int(f.limit, 'limit', 1, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT),
    offset: int(f.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/** True when `deadLetter` meets every criterion of `filter` (`where` last). */
export function matchesDeadLetter<D extends DeadLetter>(
  filter: ResolvedDeadLetterFilter<D>,
  deadLetter: D,
): boolean {
  if (filter.ids !== undefined && !filter.ids.includes(deadLetter.message.id)) return false;
  if (filter.type !== undefined && deadLetter.message.type !== filter.type) return false;
  if (filter.before !== undefined && deadLetter.deadLetteredAt >= filter.before) return false;
  return filter.where === undefined || filter.where(deadLetter);
}

/**
 * Applies `where` (when given) and then `offset`/`limit` to dead letters already selected by the
 * other criteria (a store that filters `ids`/`type`/`before` in its query passes its result here;
 * an in-memory store passes everything and `matchAll: true`).
 */
export function selectDeadLetters<D extends DeadLetter>(
  candidates: readonly D[],
  filter: ResolvedDeadLetterFilter<D>,
  options: { readonly matchAll?: boolean; readonly page?: boolean } = {},
): D[] {
  const matched =
    options.matchAll === true
      ? candidates.filter((d) => matchesDeadLetter(filter, d))
      : filter.where === undefined
        ? [...candidates]
        : candidates.filter(filter.where);
  return options.page === true
    ? matched.slice(filter.offset, filter.offset + filter.limit)
    : matched;
}

/** The {@link DeadLetterFilter} criteria a store pushes into its query (`ids`, `type`, `before`). */
export function queryCriteria(
  filter: Pick<ResolvedDeadLetterFilter<never>, 'ids' | 'type' | 'before'>,
): {
  ids?: readonly string[];
  type?: string;
  before?: Date;
} {
  return {
    ...(filter.ids !== undefined ? { ids: filter.ids } : {}),
    ...(filter.type !== undefined ? { type: filter.type } : {}),
    ...(filter.before !== undefined ? { before: filter.before } : {}),
  };
}

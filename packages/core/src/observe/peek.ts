import { Checker } from '../options.js';
import type { PeekOptions } from './types.js';

/** Default of {@link PeekOptions.limit}. */
export const DEFAULT_PEEK_LIMIT = 10;

/** Largest {@link PeekOptions.limit}: a peek is a look, not an export. */
export const MAX_PEEK_LIMIT = 1_000;

/**
 * Validates `peek()` options before any I/O; returns the limit. Throws `ConfigurationError`
 * naming `peek.limit` and its range.
 */
export function resolvePeekOptions(options: PeekOptions | undefined, provider: string): number {
  const check = new Checker(provider);
  const value = check.optionalObject(options, 'peek', ['limit']);
  return check.int(value.limit, 'peek.limit', 1, MAX_PEEK_LIMIT, DEFAULT_PEEK_LIMIT);
}

/**
 * Pure: the queue names of one namespace among stored (qualified) names, without the
 * namespace, sorted and unique. Without a namespace, names that carry one are left out.
 */
export function namesInNamespace(
  stored: Iterable<string>,
  namespace: string | undefined,
): string[] {
  const out = new Set<string>();
  const prefix = namespace === undefined ? undefined : `${namespace}:`;
  for (const name of stored) {
    if (prefix === undefined) {
      if (!name.includes(':')) out.add(name);
    } else if (name.startsWith(prefix) && name.length > prefix.length) {
      out.add(name.slice(prefix.length));
    }
  }
  return [...out].sort();
}

import { redactSecrets } from '@mqkit/core/provider';
import type { PayloadOptions } from './options.js';

/** Field names masked in shown payloads by default (compared case-insensitively, without `_`/`-`). */
export const DEFAULT_REDACTED_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'apikey',
  'cookie',
  'creditcard',
  'cardnumber',
  'cvv',
  'ssn',
];

const norm = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

/**
 * Pure: a copy of `value` where every field named in the defaults or `options.redact` (at any
 * depth, in arrays too) is replaced by `[redacted]`, and credentials inside strings are masked
 * as in logs (`postgres://user:***@host`, `token=***`).
 */
export function redactPayload(value: unknown, options: PayloadOptions): unknown {
  const names = new Set([...DEFAULT_REDACTED_FIELDS, ...(options.redact ?? []).map(norm)]);
  const walk = (v: unknown, depth: number): unknown => {
    // Strings get the logger's credential redaction (passwords in URLs, `token=…` parameters).
    if (typeof v === 'string') return redactSecrets(v);
    if (depth > 50 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, inner]) => [
        k,
        names.has(norm(k)) ? '[redacted]' : walk(inner, depth + 1),
      ]),
    );
  };
  return walk(value, 0);
}

import { ConfigurationError } from './errors.js';

/**
 * Validation helpers shared by every provider's option parsing. Each method throws a
 * {@link ConfigurationError} whose message names the field, the accepted values and what was given.
 */
export class Checker {
  constructor(private readonly provider: string) {}

  /** Throws unless `value` is a plain object. */
  plainObject(value: unknown, field: string): asserts value is Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error(field, `must be an object (got ${describe(value)})`);
    }
  }

  /** Throws on keys not in `allowed`, suggesting the closest allowed key. */
  knownKeys(value: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const field = prefix ? `${prefix}.${key}` : key;
      const guess = closest(key, allowed);
      throw this.error(
        field,
        `is not a known option${guess ? `; did you mean "${prefix ? `${prefix}.` : ''}${guess}"?` : ''} (accepted: ${allowed.join(', ')})`,
      );
    }
  }

  /** Validates an optional nested options object and its keys; returns `{}` when absent. */
  optionalObject(
    value: unknown,
    field: string,
    allowed: readonly string[],
  ): Record<string, unknown> {
    if (value === undefined) return {};
    this.plainObject(value, field);
    this.knownKeys(value, allowed, field);
    return value;
  }

  /** An integer in [min, max], or `fallback` when undefined. */
  int(value: unknown, field: string, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(field, `must be an integer from ${min} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  /** A finite number in [min, max], or `fallback` when undefined. */
  num(value: unknown, field: string, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const low = min === Number.MIN_VALUE ? 'greater than 0' : `from ${min}`;
      throw this.error(field, `must be a number ${low} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  /** A boolean, or `fallback` when undefined (a string like `'yes'` is an error, not "off"). */
  boolean(value: unknown, field: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean')
      throw this.error(field, `must be true or false (got ${describe(value)})`);
    return value;
  }

  /** A non-empty string, or `fallback` when undefined. */
  string(value: unknown, field: string, fallback?: string): string | undefined {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) {
      throw this.error(field, `must be a non-empty string (got ${describe(value)})`);
    }
    return value;
  }

  /** One of `allowed`, or `undefined` when undefined; `hint` is added to the message. */
  oneOf<T extends string>(
    value: unknown,
    field: string,
    allowed: readonly T[],
    hint = '',
  ): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw this.error(
        field,
        `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}${hint} (got ${describe(value)})`,
      );
    }
    return value as T;
  }

  /** A {@link ConfigurationError} for `field` in this provider's message format. */
  error(field: string, problem: string): ConfigurationError {
    return new ConfigurationError(field, `[@mqkit/${this.provider}] option "${field}" ${problem}`);
  }
}

/** Short description of a value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value;
}

/** The entry of `allowed` closest to `key` (a likely typo), or `undefined` when none is close. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

import type { StatValue } from '@mqkit/core';

/** Pure: a count for a table cell ("—" when the provider cannot measure it). */
export const count = (v: StatValue | undefined): string =>
  v === null || v === undefined ? '—' : v.toLocaleString('en-US');

/** Pure: a duration in ms as `850 ms`, `12 s`, `4 min`, `3 h`, `2 d`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** Pure: a 0–1 ratio as a percentage with one decimal ("—" when undefined). */
export const percent = (r: number | undefined): string =>
  r === undefined ? '—' : `${(r * 100).toFixed(1)} %`;

/** Pure: an ISO timestamp without milliseconds, UTC. */
export const time = (d: Date | undefined): string =>
  d === undefined ? '—' : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

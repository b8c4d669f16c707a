import type { DeadLetter, Message, QueueStats } from '@mqkit/core';

/**
 * Pure: an aligned text table (header row, then rows), columns separated by two spaces; numbers
 * right-aligned. Empty rows render as the header plus `(none)`.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+$|^-$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const w = widths[i] as number;
        return numeric[i] ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const out = [line(headers), ...rows.map((r) => line(r))];
  if (rows.length === 0) out.push('(none)');
  return out.join('\n');
}

/** Pure: milliseconds as a short human duration (`850ms`, `12s`, `4m05s`, `3h12m`, `2d04h`). */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1_000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const count = (v: number | null): string => (v === null ? '-' : String(v));

/** Pure: the `mqkit queues` table. */
export function queuesTable(stats: readonly QueueStats[]): string {
  return table(
    ['QUEUE', 'READY', 'DELAYED', 'IN-FLIGHT', 'DEAD', 'OLDEST-READY'],
    stats.map((s) => [
      s.queue,
      count(s.ready),
      count(s.delayed),
      count(s.inFlight),
      count(s.deadLettered),
      s.oldestReadyAgeMs === null ? '-' : duration(s.oldestReadyAgeMs),
    ]),
  );
}

const json = (value: unknown): string => JSON.stringify(value) ?? 'undefined';

/** Pure: the `mqkit peek` table; the payload column only when payloads were asked for. */
export function peekTable(messages: readonly Message[], payloads: boolean, now: number): string {
  const headers = ['ID', 'TYPE', 'ATTEMPT', 'PRIORITY', 'KEY', 'WAITING'];
  if (payloads) headers.push('PAYLOAD');
  return table(
    headers,
    messages.map((m) => {
      const row = [
        m.id,
        m.type,
        `${m.attempt}/${m.maxAttempts}`,
        String(m.priority),
        m.partitionKey ?? '-',
        duration(Math.max(0, now - m.runAt.getTime())),
      ];
      if (payloads) row.push(json(m.payload));
      return row;
    }),
  );
}

/** Pure: the `mqkit dlq list` table. */
export function deadLetterTable(list: readonly DeadLetter[], payloads: boolean): string {
  const headers = ['ID', 'TYPE', 'ATTEMPTS', 'DEAD-LETTERED', 'ERROR'];
  if (payloads) headers.push('PAYLOAD');
  return table(
    headers,
    list.map((d) => {
      const row = [
        d.message.id,
        d.message.type,
        String(d.attempts),
        d.deadLetteredAt.toISOString(),
        oneLine(`${d.error.name}: ${d.error.message}`, 60),
      ];
      if (payloads) row.push(json(d.message.payload));
      return row;
    }),
  );
}

/** Pure: the `mqkit dlq inspect` view: one `field: value` per line. */
export function deadLetterView(d: DeadLetter, payloads: boolean): string {
  const m = d.message;
  const lines: [string, string][] = [
    ['id', m.id],
    ['queue', m.queue],
    ['type', m.type],
    ['attempts', `${d.attempts} of ${m.maxAttempts}`],
    ['created', m.createdAt.toISOString()],
    ['dead-lettered', d.deadLetteredAt.toISOString()],
    ['partition key', m.partitionKey ?? '-'],
    ['priority', String(m.priority)],
    ['headers', json(m.headers)],
    ['error', `${d.error.name}: ${d.error.message}`],
  ];
  if (d.error.code !== undefined) lines.push(['error code', String(d.error.code)]);
  if (payloads) lines.push(['payload', json(m.payload)]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}

/** Pure: `text` on one line (newlines folded), cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

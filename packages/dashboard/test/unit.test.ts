import type { IncomingMessage } from 'node:http';
import type { QueueStats } from '@mqkit/core';
import { describe, expect, it } from 'vitest';
import { parseOperation } from '../src/actions.js';
import { CSRF_COOKIE, Csrf } from '../src/csrf.js';
import { route } from '../src/dashboard.js';
import { redactPayload } from '../src/redact.js';
import { ratesOf, type Sample } from '../src/sampler.js';
import { html } from '../src/views/html.js';
import { byAttention, concerns, type OverviewRow } from '../src/views/overview.js';

const stats = (queue: string, s: Partial<QueueStats> = {}, at = 0): QueueStats => ({
  queue,
  at: new Date(at),
  ready: 0,
  delayed: 0,
  inFlight: 0,
  deadLettered: 0,
  oldestReadyAgeMs: 0,
  ...s,
});
const row = (queue: string, s: Partial<QueueStats>, failureRate?: number): OverviewRow => ({
  stats: stats(queue, s),
  rates: { perMinute: undefined, failureRate, windowMs: 0 },
});

describe('route', () => {
  it('maps paths to pages and decodes queue names and ids', () => {
    expect(route('')).toEqual({ page: 'overview' });
    expect(route('/')).toEqual({ page: 'overview' });
    expect(route('/kinesis')).toEqual({ page: 'kinesis' });
    expect(route('/assets/app.css')).toEqual({ page: 'asset', name: 'app.css' });
    expect(route('/queues/a%2Fb')).toEqual({ page: 'queue', queue: 'a/b' });
    expect(route('/queues/q/dead-letters')).toEqual({ page: 'browser', queue: 'q' });
    expect(route('/queues/q/dead-letters/action')).toEqual({ page: 'action', queue: 'q' });
    expect(route('/queues/q/dead-letters/m%201')).toEqual({
      page: 'inspect',
      queue: 'q',
      id: 'm 1',
    });
    expect(route('/queues')).toBeUndefined();
    expect(route('/queues/q/other')).toBeUndefined();
    expect(route('/queues/q/dead-letters/x/y')).toBeUndefined();
    expect(route('/nope')).toBeUndefined();
  });
});

describe('byAttention', () => {
  it('puts failing first, then dead letters, then an aging backlog, then by name', () => {
    const rows = [
      row('calm', {}),
      row('aging', { oldestReadyAgeMs: 120_000 }),
      row('dead-few', { deadLettered: 1 }),
      row('dead-many', { deadLettered: 9 }),
      row('failing', {}, 0.5),
      row('also-calm', {}),
    ];
    expect(byAttention(rows).map((r) => r.stats.queue)).toEqual([
      'failing',
      'dead-many',
      'dead-few',
      'aging',
      'also-calm',
      'calm',
    ]);
    expect(concerns(row('x', { deadLettered: 2, oldestReadyAgeMs: 61_000 }, 0.06))).toEqual([
      'failing',
      'dead letters',
      'backlog aging',
    ]);
    expect(concerns(row('x', { oldestReadyAgeMs: 60_000 }, 0.05))).toEqual([]);
  });
});

describe('ratesOf', () => {
  const sample = (at: number, succeeded: number, failed: number): Sample => ({
    stats: stats('q', {}, at),
    totals: { succeeded, failed },
  });

  it('differences the totals over the window', () => {
    const samples = [sample(0, 0, 0), sample(60_000, 50, 0), sample(120_000, 110, 10)];
    expect(ratesOf(samples, 300_000)).toEqual({
      perMinute: 55,
      failureRate: 10 / 120,
      windowMs: 120_000,
    });
    // Only the last minute: 60 handled, 10 failed.
    expect(ratesOf(samples, 60_000)).toEqual({
      perMinute: 60,
      failureRate: 10 / 70,
      windowMs: 60_000,
    });
  });

  it('counts the tracker start as zeros, and has no rate without totals or time', () => {
    expect(ratesOf([sample(30_000, 10, 0)], 300_000, new Date(0)).perMinute).toBe(20);
    expect(ratesOf([sample(30_000, 10, 0)], 300_000).perMinute).toBeUndefined();
    expect(ratesOf([{ stats: stats('q'), totals: undefined }], 300_000)).toEqual({
      perMinute: undefined,
      failureRate: undefined,
      windowMs: 0,
    });
    expect(ratesOf([sample(0, 5, 0), sample(1_000, 5, 0)], 300_000).failureRate).toBeUndefined();
  });
});

describe('redactPayload', () => {
  it('masks secret-looking fields at any depth, case- and separator-insensitively, plus the given ones', () => {
    const out = redactPayload(
      {
        user: { Password: 'p', api_key: 'k', name: 'n' },
        items: [{ IBAN: 'DE00', cvv: 1 }],
        token: null,
      },
      { redact: ['iban'] },
    );
    expect(out).toEqual({
      user: { Password: '[redacted]', api_key: '[redacted]', name: 'n' },
      items: [{ IBAN: '[redacted]', cvv: '[redacted]' }],
      token: '[redacted]',
    });
    expect(redactPayload('plain', {})).toBe('plain');
    expect(redactPayload({ dsn: 'postgres://app:hunter2@db/x' }, {})).toEqual({
      dsn: 'postgres://app:***@db/x',
    });
  });
});

describe('parseOperation', () => {
  it('accepts the four actions and refuses anything else', () => {
    expect(parseOperation('replay:selected')).toEqual({ verb: 'replay', scope: 'selected' });
    expect(parseOperation('purge:matching')).toEqual({ verb: 'purge', scope: 'matching' });
    expect(() => parseOperation('delete:matching')).toThrow(/unknown action "delete:matching"/);
    expect(() => parseOperation(null)).toThrow(/unknown action ""/);
  });
});

describe('html', () => {
  it('escapes interpolated text but not nested html', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${['&', 1]}${undefined}${false}</p>`.value).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&amp;1</p>',
    );
  });
});

describe('Csrf', () => {
  const req = (cookie: string) => ({ headers: { cookie } }) as IncomingMessage;

  it("accepts only the HMAC of the request's own cookie nonce under the same secret", () => {
    const csrf = new Csrf('s'.repeat(32));
    const nonce = Csrf.nonce();
    const token = csrf.token(nonce);
    expect(csrf.verify(req(`a=b; ${CSRF_COOKIE}=${nonce}`), token)).toBe(true);
    expect(csrf.verify(req(`${CSRF_COOKIE}=${Csrf.nonce()}`), token)).toBe(false);
    expect(csrf.verify(req(''), token)).toBe(false);
    expect(csrf.verify(req(`${CSRF_COOKIE}=${nonce}`), undefined)).toBe(false);
    expect(new Csrf('t'.repeat(32)).verify(req(`${CSRF_COOKIE}=${nonce}`), token)).toBe(false);
    expect(csrf.verify(req(`${CSRF_COOKIE}=not-a-nonce`), csrf.token('not-a-nonce'))).toBe(false);
  });
});

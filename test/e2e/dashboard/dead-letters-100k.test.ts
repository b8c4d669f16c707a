// The dead-letter browser over 100,000 dead letters in PostgreSQL (rows inserted with one SQL
// statement): each page is one LIMIT/OFFSET query, the last page is reachable, and the
// confirmation of a replay/purge of everything shows the store's exact count.
import { randomBytes } from 'node:crypto';
import { createPrismaQueue } from '@mqkit/prisma';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgres, probe } from '../../../packages/prisma/test/databases.js';
import { AUTHORISED, type Mounted, mount } from './browser.js';

const TOTAL = 100_000;
const unreachable = await probe(postgres);
if (unreachable)
  console.log(`SKIPPED: dashboard over 100,000 dead letters on prisma/postgresql — ${unreachable}`);

describe.runIf(unreachable === undefined)(
  'dashboard over 100,000 dead letters (prisma/postgresql)',
  () => {
    const prisma = postgres.client({ max: 2 });
    const namespace = `dash100k${randomBytes(4).toString('hex')}`;
    const stored = `${namespace}:bulk`;
    const mq = createPrismaQueue({ prisma, namespace, logger: pino({ level: 'silent' }) });
    let site: Mounted;
    const get = async (path: string) => {
      const response = await fetch(`${site.url}${path}`, { headers: AUTHORISED });
      expect(response.status).toBe(200);
      return response.text();
    };
    const ids = (page: string) => [...page.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);
    const idOf = (i: number) => `m${String(i).padStart(6, '0')}`;

    beforeAll(async () => {
      // $1 stored queue name. One row per second of a fixed day, so the order is the index order.
      await prisma.$executeRawUnsafe(
        `INSERT INTO "mqkit_messages_dead_letters"
         (queue, id, type, payload, attempt, created_at, run_at, error, dead_lettered_at)
       SELECT $1, 'm' || lpad(i::text, 6, '0'), CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END,
              '{"i":' || i || '}', 3, now(), now(), '{"name":"Error","message":"boom ' || i || '"}',
              timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
       FROM generate_series(0, ${TOTAL - 1}) AS i`,
        stored,
      );
      site = await mount({ queues: mq, logger: pino({ level: 'silent' }) });
    }, 60_000);
    afterAll(async () => {
      await site?.close();
      await prisma.$executeRawUnsafe(
        `DELETE FROM "mqkit_messages_dead_letters" WHERE queue = $1`,
        stored,
      );
      await mq.close();
      await prisma.$disconnect();
    });

    it('pages from the first to the last entry, filters by type in SQL, and confirms with the exact total', async () => {
      const first = await get('/queues/bulk/dead-letters?limit=100');
      expect(ids(first)).toEqual(Array.from({ length: 100 }, (_, i) => idOf(i)));
      expect(first).toContain('100,000 dead letters in this queue. Showing 1–100.');
      expect(first).toContain('rel="next"');

      const last = await get(`/queues/bulk/dead-letters?limit=100&offset=${TOTAL - 100}`);
      expect(ids(last)).toEqual(Array.from({ length: 100 }, (_, i) => idOf(TOTAL - 100 + i)));
      expect(last).toContain('Showing 99901–100000.');
      expect(last).not.toContain('rel="next"');

      const odd = await get('/queues/bulk/dead-letters?type=odd&limit=25&offset=1000');
      expect(ids(odd)).toEqual(Array.from({ length: 25 }, (_, i) => idOf(2 * (1000 + i) + 1)));

      // The confirmation of "purge all" (first POST, with the page's CSRF cookie and token).
      const page = await fetch(`${site.url}/queues/bulk`, { headers: AUTHORISED });
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const token = (await page.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] as string;
      const confirm = await fetch(`${site.url}/queues/bulk/dead-letters/action`, {
        method: 'POST',
        headers: { ...AUTHORISED, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, op: 'purge:matching', back: 'queue' }).toString(),
      });
      expect(await confirm.text()).toContain('<h1>Purge 100,000 dead letters of bulk?</h1>');
      expect(await mq.deadLetters.count('bulk')).toBe(TOTAL);
    }, 60_000);
  },
);

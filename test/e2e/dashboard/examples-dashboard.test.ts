// Runs examples/dashboard-http and examples/dashboard-express as their users would (a child
// process importing the built packages) and operates them over HTTP like a browser does:
// credentials, the CSRF cookie and token of a page, the confirmation step, then the store's
// answer as the dashboard shows it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { start } from '../prometheus/harness.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

async function startExample(file: string, env: Record<string, string>) {
  const child = start(
    process.execPath,
    ['--import', 'tsx', file],
    { ...process.env, PORT: '0', ...env },
    root,
  );
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined) {
    url = child.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)\/admin\/queues/)?.[1];
    if (url) break;
    if (Date.now() > deadline || child.process.exitCode !== null)
      throw new Error(`${file} did not start:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url };
}

/** A tiny cookie-keeping client, as a browser is for the dashboard. */
function client(base: string, authorization: string) {
  let cookie = '';
  const request = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      redirect: 'manual',
      headers: {
        authorization,
        ...(cookie ? { cookie } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] as string;
    return response;
  };
  const post = (path: string, form: Record<string, string>) =>
    request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  return { request, post };
}

const tokenOf = (html: string): string => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
const statOf = (html: string, queue: string, stat: string): string | undefined =>
  html.match(
    new RegExp(`data-name="${queue}"[\\s\\S]*?data-stat="${stat}">(?:<a [^>]+>)?([^<]+)<`),
  )?.[1];

describe('examples/dashboard-http (node:http, Basic auth)', () => {
  it('asks for credentials, shows the seeded dead letters, replays them after confirmation, and stops on SIGTERM', async () => {
    const { child, url } = await startExample('examples/dashboard-http/main.ts', {
      DASHBOARD_PASSWORD: 'pw-for-test',
    });
    try {
      const anonymous = await fetch(`${url}/admin/queues/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="mqkit dashboard"');
      const ua = client(url, `Basic ${Buffer.from('admin:pw-for-test').toString('base64')}`);
      const overview = await (await ua.request('/admin/queues/')).text();
      expect(statOf(overview, 'orders', 'ready')).toBe('3');
      expect(statOf(overview, 'orders', 'deadLettered')).toBe('2');
      const queuePage = await (await ua.request('/admin/queues/queues/orders')).text();
      const form = { _csrf: tokenOf(queuePage), op: 'replay:matching', back: 'queue' };
      const confirm = await ua.post('/admin/queues/queues/orders/dead-letters/action', form);
      expect(await confirm.text()).toContain('Replay 2 dead letters of orders?');
      const done = await ua.post('/admin/queues/queues/orders/dead-letters/action', {
        ...form,
        confirmed: '1',
      });
      expect(done.status).toBe(303);
      const after = await (await ua.request('/admin/queues/')).text();
      expect(statOf(after, 'orders', 'ready')).toBe('5');
      expect(statOf(after, 'orders', 'deadLettered')).toBe('0');
      await fetch(`${url}/orders/resume`, { method: 'POST' });
      const deadline = Date.now() + 10_000;
      while (statOf(await (await ua.request('/admin/queues/')).text(), 'orders', 'ready') !== '0') {
        if (Date.now() > deadline) throw new Error('the worker never drained orders');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      expect(await child.stop()).toBe(0);
    }
    expect(child.output()).toContain('stopped after handling 5 orders');
  }, 60_000);
});

describe('examples/dashboard-express (Express 5, app.use mount)', () => {
  it('mounted under /admin/queues: 401 without the token, and a CSRF-less POST is 403; replay works with it', async () => {
    const { child, url } = await startExample('examples/dashboard-express/main.ts', {
      DASHBOARD_TOKEN: 'tok',
    });
    try {
      expect((await fetch(`${url}/admin/queues/`)).status).toBe(401);
      const ua = client(url, 'Bearer tok');
      const browser = await ua.request('/admin/queues/queues/invoices/dead-letters');
      expect(browser.status).toBe(200);
      const html = await browser.text();
      // Links and forms carry the mount path although Express strips it from req.url.
      expect(html).toContain('action="/admin/queues/queues/invoices/dead-letters/action"');
      const id = html.match(/<tr data-id="([^"]+)"/)?.[1] as string;
      const action = '/admin/queues/queues/invoices/dead-letters/action';
      expect(
        (await ua.post(action, { op: 'replay:selected', ids: id, confirmed: '1' })).status,
      ).toBe(403);
      const done = await ua.post(action, {
        op: 'replay:selected',
        ids: id,
        confirmed: '1',
        _csrf: tokenOf(html),
      });
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(
        '/admin/queues/queues/invoices/dead-letters?done=replay&n=1',
      );
      const notice = await (await ua.request(done.headers.get('location') as string)).text();
      expect(notice).toContain('Replayed 1 dead letter.');
      expect(notice).toContain('<p>No dead letters.</p>');
      await fetch(`${url}/invoices/resume`, { method: 'POST' });
      const deadline = Date.now() + 10_000;
      while (
        !/data-stat="ready">0</.test(
          await (await ua.request('/admin/queues/queues/invoices')).text(),
        )
      ) {
        if (Date.now() > deadline) throw new Error('the worker never handled the replayed invoice');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      expect(await child.stop()).toBe(0);
    }
    expect(child.output()).toContain('stopped after handling 1 invoices');
  }, 60_000);
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, type MessageQueue, NonRetryableError } from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type DashboardOptions } from '../src/index.js';

const silent = pino({ level: 'silent' });

/** A logger recording what it was asked to log (level, message). */
function recordingLogger() {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, msg: typeof obj === 'string' ? obj : (msg ?? ''), obj });
  };
  return {
    lines,
    logger: {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    },
  };
}

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function deadLetter(
  mq: MessageQueue,
  queue: string,
  n: number,
  message: string,
): Promise<string[]> {
  const ids = (
    await mq.publish(
      queue,
      Array.from({ length: n }, (_, i) => ({ type: 't', payload: { i, token: 'tok-secret' } })),
    )
  ).ids;
  const consumer = mq.consume(
    queue,
    async () => {
      throw new NonRetryableError(message);
    },
    { batchSize: 50 },
  );
  const deadline = Date.now() + 10_000;
  while ((await mq.deadLetters.count(queue)) < n && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  return ids;
}

describe('createDashboard options', () => {
  const queues = createMemoryQueue({ logger: silent });
  afterAll(() => queues.close());

  it('auth is required: a missing one is a ConfigurationError naming it and the two accepted forms', () => {
    const call = () => createDashboard({ queues } as unknown as DashboardOptions);
    expect(call).toThrow(ConfigurationError);
    expect(call).toThrow(
      /option "auth" is required: a function \(req\) => boolean \| Promise<boolean>, or `false`/,
    );
  });

  it('unknown options and bad values are refused with what is accepted', () => {
    expect(() =>
      createDashboard({ queues, auth: false, readonly: true } as unknown as DashboardOptions),
    ).toThrow(/unknown option "readonly" \(accepted: .*readOnly/);
    expect(() => createDashboard({ queues, auth: false, basePath: 'admin' })).toThrow(/basePath/);
    expect(() => createDashboard({ queues, auth: false, sampleIntervalMs: 5 })).toThrow(
      /from 1000 to 600000/,
    );
    expect(() => createDashboard({ queues, auth: false, csrfSecret: 'short' })).toThrow(
      /at least 32/,
    );
  });

  it('auth: false logs one warning at start-up, not per request', async () => {
    const { lines, logger } = recordingLogger();
    const dashboard = createDashboard({ queues, auth: false, logger });
    const site = await serve((req, res) => dashboard(req, res));
    try {
      expect((await fetch(`${site.url}/`)).status).toBe(200);
      expect((await fetch(`${site.url}/`)).status).toBe(200);
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        expect.stringMatching(/auth: false — the dashboard is open to anyone/),
      ]);
    } finally {
      dashboard.close();
      await site.close();
    }
  });
});

describe('dashboard over HTTP (memory)', () => {
  const mq = createMemoryQueue({ logger: silent });
  const { lines, logger } = recordingLogger();
  let ids: string[];
  let site: Awaited<ReturnType<typeof serve>>;
  let listCalls: { limit?: number; offset?: number }[];
  const dashboard = createDashboard({
    queues: new Proxy(mq, {
      // The real queue; list calls are recorded to check the browser never loads everything.
      get(target, key) {
        if (key !== 'deadLetters') return Reflect.get(target, key);
        return new Proxy(target.deadLetters, {
          get(store, k) {
            const value = Reflect.get(store, k);
            if (k !== 'list') return typeof value === 'function' ? value.bind(store) : value;
            return (queue: string, filter?: { limit?: number; offset?: number }) => {
              listCalls.push({ limit: filter?.limit, offset: filter?.offset });
              return store.list(queue, filter);
            };
          },
        });
      },
    }),
    basePath: '/ops/mq',
    auth: async (req) => {
      if (req.headers.authorization === 'throw') throw new Error('auth backend down');
      return req.headers.authorization === 'Bearer ok';
    },
    logger,
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${site.url}${path}`, {
      headers: { authorization: 'Bearer ok', ...headers },
      redirect: 'manual',
    });

  beforeAll(async () => {
    ids = await deadLetter(mq, 'orders', 120, '<script>alert(1)</script> failed');
    site = await serve((req, res) => {
      // Express-style mount: the framework strips the prefix from req.url, keeps originalUrl.
      if (req.url?.startsWith('/ops/mq')) {
        Object.assign(req, { originalUrl: req.url, url: req.url.slice('/ops/mq'.length) || '/' });
      }
      dashboard(req, res, () => {
        res.statusCode = 418;
        res.end('next');
      });
    });
  });
  afterAll(async () => {
    dashboard.close();
    await site.close();
    await mq.close();
  });

  it('answers 401 without auth and when the auth function throws (logged), and passes other paths to next()', async () => {
    expect((await get('/ops/mq/', { authorization: '' })).status).toBe(401);
    expect((await get('/ops/mq/assets/app.css', { authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    expect((await get('/ops/mq/', { authorization: 'throw' })).status).toBe(401);
    expect(lines.some((l) => l.level === 'warn' && /auth function threw/.test(l.msg))).toBe(true);
    expect((await get('/elsewhere')).status).toBe(418);
    expect((await get('/ops/mq/no/such/page')).status).toBe(418);
  });

  it('serves static assets with a content ETag and long-lived caching, and 304 when unchanged', async () => {
    const first = await get('/ops/mq/assets/app.js');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    expect((await get('/ops/mq/assets/app.js', { 'if-none-match': etag })).status).toBe(304);
    const page = await (await get('/ops/mq/')).text();
    expect(page).toContain(`/ops/mq/assets/app.js?v=${etag.slice(1, -1)}`);
  });

  it('pages through the dead letters, asking the store for one page (limit + 1) at a time', async () => {
    listCalls = [];
    const page = await (await get('/ops/mq/queues/orders/dead-letters?limit=50&offset=50')).text();
    expect(listCalls).toEqual([{ limit: 51, offset: 50 }]);
    const shown = [...page.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);
    const expected = (await mq.deadLetters.list('orders', { limit: 50, offset: 50 })).map(
      (d) => d.message.id,
    );
    expect(shown).toEqual(expected);
    expect(page).toContain('120 dead letters in this queue. Showing 51–100.');
    expect(page).toContain('rel="prev"');
    expect(page).toContain('rel="next"');
    const last = await (await get('/ops/mq/queues/orders/dead-letters?limit=50&offset=100')).text();
    expect(last).not.toContain('rel="next"');
  });

  it('escapes what the store holds (an error message with markup is shown as text)', async () => {
    const page = await (await get(`/ops/mq/queues/orders/dead-letters/${ids[0]}`)).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; failed');
    expect(page).not.toContain('<script>alert(1)');
  });

  it('hides payloads unless showPayloads is on', async () => {
    const page = await (await get(`/ops/mq/queues/orders/dead-letters/${ids[0]}`)).text();
    expect(page).toContain('Payloads are hidden');
    expect(page).not.toContain('tok-secret');
    expect(page).not.toContain('data-payload');
  });

  it('a bad filter or page size is a 400 page saying what is accepted; an unknown queue or id is 404', async () => {
    const since = await get('/ops/mq/queues/orders/dead-letters?since=yesterday');
    expect(since.status).toBe(400);
    expect(await since.text()).toContain('Since &quot;yesterday&quot; is not a time');
    expect((await get('/ops/mq/queues/orders/dead-letters?limit=0')).status).toBe(400);
    expect((await get('/ops/mq/queues/nope')).status).toBe(404);
    expect((await get('/ops/mq/queues/orders/dead-letters/nope')).status).toBe(404);
  });

  it('refuses a cross-site POST and a GET on the action URL', async () => {
    const cross = await fetch(`${site.url}/ops/mq/queues/orders/dead-letters/action`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer ok',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'op=purge:matching&confirmed=1',
    });
    expect(cross.status).toBe(403);
    expect((await get('/ops/mq/queues/orders/dead-letters/action')).status).toBe(405);
    expect(await mq.deadLetters.count('orders')).toBe(120);
  });
});

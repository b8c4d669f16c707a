// The mounts docs/dashboard.md shows, run for real: Fastify through @fastify/middie, Hono on Node
// through @hono/node-server, and Express with `express.urlencoded()` parsing the form first. Each
// serves a page and an asset under the mount path, confirms then performs a replay, and leaves
// other routes to the framework.
import type { AddressInfo } from 'node:net';
import middie from '@fastify/middie';
import { type HttpBindings, serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { NonRetryableError } from '@mqkit/core';
import { createDashboard, type Dashboard } from '@mqkit/dashboard';
import { createMemoryQueue } from '@mqkit/memory';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../conformance/helpers.js';

const silent = pino({ level: 'silent' });
const queue = createMemoryQueue({ logger: silent });
const BASE = '/admin/queues';
const auth = (req: { headers: { authorization?: string } }) =>
  req.headers.authorization === 'Bearer m';
let dashboard: Dashboard;

beforeEach(async () => {
  dashboard?.close();
  dashboard = createDashboard({ queues: queue, basePath: BASE, auth, logger: silent });
  const failing = queue.consume('orders', async () => {
    throw new NonRetryableError('nope');
  });
  await queue.publish('orders', { type: 't', payload: {} });
  await waitFor(
    async () => (await queue.deadLetters.count('orders')) === 1,
    5_000,
    '1 dead letter',
  );
  await failing.stop();
});
afterAll(async () => {
  dashboard?.close();
  await queue.close();
});

/** Drives a mounted dashboard like a browser and checks the store; `other` is a framework route. */
async function exercise(origin: string): Promise<void> {
  const headers = { authorization: 'Bearer m' };
  expect((await fetch(`${origin}${BASE}/`)).status).toBe(401);
  const page = await fetch(`${origin}${BASE}/queues/orders/dead-letters`, { headers });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`action="${BASE}/queues/orders/dead-letters/action"`);
  expect(
    (await fetch(`${origin}${BASE}/assets/app.css`, { headers })).headers.get('etag'),
  ).toBeTruthy();
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const form = {
    _csrf: html.match(/name="_csrf" value="([^"]+)"/)?.[1] as string,
    op: 'replay:matching',
  };
  const post = (body: Record<string, string>) =>
    fetch(`${origin}${BASE}/queues/orders/dead-letters/action`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
  expect(await (await post(form)).text()).toContain('Replay 1 dead letter of orders?');
  expect(await queue.deadLetters.count('orders')).toBe(1);
  expect((await post({ ...form, confirmed: '1' })).status).toBe(303);
  expect(await queue.deadLetters.count('orders')).toBe(0);
  expect((await queue.stats('orders')).ready).toBe(1);
  const other = await fetch(`${origin}/other`);
  expect(await other.text()).toBe('framework route');
  // Drain for the next case.
  const drain = queue.consume('orders', async () => {});
  await waitFor(async () => (await queue.stats('orders')).ready === 0, 5_000, 'drained');
  await drain.stop();
}

describe('dashboard mounts', () => {
  it('Fastify with @fastify/middie: fastify.use(basePath, dashboard)', async () => {
    const fastify = Fastify();
    await fastify.register(middie);
    fastify.use(BASE, dashboard);
    fastify.get('/other', async () => 'framework route');
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      await exercise(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`);
    } finally {
      await fastify.close();
    }
  });

  it('Hono on Node: the raw req/res from c.env, then RESPONSE_ALREADY_SENT', async () => {
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.all(`${BASE}/*`, (c) => {
      dashboard(c.env.incoming, c.env.outgoing);
      return RESPONSE_ALREADY_SENT;
    });
    app.get('/other', (c) => c.text('framework route'));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('Express with express.urlencoded() before it: the parsed req.body is used', async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(BASE, dashboard);
    app.get('/other', (_req, res) => {
      res.send('framework route');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

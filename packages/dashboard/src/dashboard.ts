import type { IncomingMessage, ServerResponse } from 'node:http';
import { listQueues } from '@mqkit/cli/actions';
import { ErrorCode, MqkitError } from '@mqkit/core';
import { deadLetterAction } from './actions.js';
import { serveAsset } from './assets.js';
import { CSRF_FIELD, Csrf, csrfCookie, nonceOf } from './csrf.js';
import { fullUrl, isSecure, readForm, sendHtml } from './http.js';
import { type DashboardOptions, type ResolvedOptions, resolveOptions } from './options.js';
import {
  browserPage,
  inspectPage,
  kinesisPage,
  overviewPage,
  type PageDeps,
  queuePage,
} from './pages.js';
import { StatsSampler } from './sampler.js';
import type { SafeHtml } from './views/html.js';
import { errorBody, layout, type ViewContext } from './views/layout.js';

/** Called when the request is not the dashboard's (outside `basePath`), Express/Connect style. */
export type NextFunction = (error?: unknown) => void;

/**
 * The dashboard as a plain Node request handler, mountable in `node:http`, Express, Fastify
 * (`@fastify/middie`) and Hono on Node. Call `close()` to stop the stats sampler.
 */
export interface Dashboard {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** Stops sampling `stats()` (the timer is unref'd, so forgetting this never keeps a process alive). */
  close(): void;
}

type Route =
  | { page: 'overview' | 'kinesis' }
  | { page: 'asset'; name: string }
  | { page: 'queue' | 'browser' | 'action'; queue: string }
  | { page: 'inspect'; queue: string; id: string };

/** Pure: the route of a path relative to the dashboard's base ('' or '/…'). */
export function route(path: string): Route | undefined {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [a, b, c, d, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (a === undefined) return { page: 'overview' };
  if (a === 'kinesis' && b === undefined) return { page: 'kinesis' };
  if (a === 'assets' && b !== undefined && c === undefined) return { page: 'asset', name: b };
  if (a !== 'queues' || b === undefined) return undefined;
  if (c === undefined) return { page: 'queue', queue: b };
  if (c !== 'dead-letters') return undefined;
  if (d === undefined) return { page: 'browser', queue: b };
  if (d === 'action') return { page: 'action', queue: b };
  return { page: 'inspect', queue: b, id: d };
}

const statusOf = (error: unknown): number => {
  if (!(error instanceof MqkitError)) return 500;
  if (error.code === ErrorCode.NOT_FOUND) return 404;
  if (error.code === ErrorCode.VALIDATION || error.code === ErrorCode.UNSUPPORTED_FEATURE)
    return 400;
  return 500;
};

/**
 * Creates the dashboard: validates the options (throws `ConfigurationError`), starts sampling
 * `stats()` in-process, and returns the request handler. `auth: false` logs one warning here.
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const o = resolveOptions(options);
  if (o.auth === false)
    o.logger.warn(
      { basePath: o.basePath || '/' },
      '[@mqkit/dashboard] auth: false — the dashboard is open to anyone who can reach it; put it behind your own authentication',
    );
  const names = async (): Promise<string[]> => {
    const listed = o.queue.queues === undefined ? [] : await listQueues(o.queue);
    return [...new Set([...listed, ...o.queueNames])].sort();
  };
  const sampler = new StatsSampler(o.queue, names, o.activity, o.historySize, o.logger);
  sampler.start(o.sampleIntervalMs);
  const csrf = new Csrf(o.csrfSecret);
  const deps: PageDeps = { options: o, sampler, names };

  const handler = ((req, res, next) => {
    handle(o, deps, csrf, req, res, next).catch((error: unknown) => {
      o.logger.error({ err: (error as Error).message }, '[@mqkit/dashboard] request failed');
      if (!res.headersSent) sendHtml(res, 500, 'Internal error');
      else res.end();
    });
  }) as Dashboard;
  handler.close = () => sampler.stop();
  return handler;
}

async function allowed(o: ResolvedOptions, req: IncomingMessage): Promise<boolean> {
  if (o.auth === false) return true;
  try {
    return (await o.auth(req)) === true;
  } catch (error) {
    o.logger.warn(
      { err: (error as Error).message },
      '[@mqkit/dashboard] auth function threw: request refused',
    );
    return false;
  }
}

async function handle(
  o: ResolvedOptions,
  deps: PageDeps,
  csrf: Csrf,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction | undefined,
): Promise<void> {
  const url = fullUrl(req);
  const inside =
    url.pathname === o.basePath || url.pathname.startsWith(`${o.basePath}/`) || o.basePath === '';
  const found = inside ? route(url.pathname.slice(o.basePath.length)) : undefined;
  if (found === undefined) {
    if (next) return next();
    return sendHtml(res, 404, 'Not found');
  }
  if (!(await allowed(o, req)))
    return sendHtml(res, 401, "Unauthorized: the dashboard's auth function refused this request.");
  if (found.page === 'asset') {
    if (!serveAsset(req, res, found.name)) sendHtml(res, 404, 'Not found');
    return;
  }
  // The CSRF nonce lives in a cookie; a page without one gets a fresh one with its forms' token.
  let nonce = nonceOf(req);
  const headers: Record<string, string> = {};
  if (nonce === undefined) {
    nonce = Csrf.nonce();
    headers['Set-Cookie'] = csrfCookie(nonce, o.basePath || '/', isSecure(req));
  }
  const ctx: ViewContext = {
    base: o.basePath,
    csrf: csrf.token(nonce),
    readOnly: o.readOnly,
    showPayloads: o.payloads !== undefined,
    kinesis: o.kinesis !== undefined,
  };
  const page = (
    status: number,
    title: string,
    body: SafeHtml,
    current: 'overview' | 'kinesis' | 'queue',
  ) => sendHtml(res, status, layout(ctx, title, body, current), headers);
  try {
    if (found.page === 'action') {
      if (req.method !== 'POST')
        return page(
          405,
          'Method not allowed',
          errorBody(400, 'Actions are POST only.', ctx),
          'queue',
        );
      if (o.readOnly)
        return page(
          403,
          'Read-only',
          errorBody(400, 'This dashboard is read-only: replay and purge are disabled.', ctx),
          'queue',
        );
      if (req.headers['sec-fetch-site'] === 'cross-site')
        return page(403, 'Forbidden', errorBody(400, 'Cross-site request refused.', ctx), 'queue');
      const form = await readForm(req);
      if (!csrf.verify(req, form.get(CSRF_FIELD) ?? undefined))
        return page(
          403,
          'Forbidden',
          errorBody(400, 'Missing or invalid CSRF token: reload the page and try again.', ctx),
          'queue',
        );
      const body = await deadLetterAction(deps, ctx, found.queue, form, res);
      if (body) page(200, 'Confirm', body, 'queue');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return page(
        405,
        'Method not allowed',
        errorBody(400, 'Pages are GET only.', ctx),
        'overview',
      );
    switch (found.page) {
      case 'overview':
        return page(200, 'Queues', await overviewPage(deps, ctx, url), 'overview');
      case 'kinesis':
        return page(200, 'Kinesis', await kinesisPage(deps), 'kinesis');
      case 'queue':
        return page(200, found.queue, await queuePage(deps, ctx, found.queue, url), 'queue');
      case 'browser':
        return page(
          200,
          `Dead letters of ${found.queue}`,
          await browserPage(deps, ctx, found.queue, url),
          'queue',
        );
      case 'inspect':
        return page(
          200,
          `Dead letter ${found.id}`,
          await inspectPage(deps, ctx, found.queue, found.id),
          'queue',
        );
    }
  } catch (error) {
    const status = statusOf(error);
    if (status === 500) throw error;
    return page(
      status,
      status === 404 ? 'Not found' : 'Bad request',
      errorBody(status, (error as Error).message, ctx),
      'overview',
    );
  }
}

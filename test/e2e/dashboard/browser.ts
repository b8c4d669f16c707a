// Browser harness of the dashboard tests: Debian's chromium driven by playwright-core (one
// launch shared by every scenario), an HTTP server mounting a dashboard, and the axe-core check.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDashboard, type Dashboard, type DashboardOptions } from '@mqkit/dashboard';
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MQKIT_CHROMIUM ?? '/usr/bin/chromium';

/** `undefined` when chromium can be launched, else why not (for the SKIPPED line). */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} not found (apt-get install -y chromium; .ci/run installs it)`;
}

/** Launches headless chromium with the flags a CI container needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** The token the test servers' auth accepts (as a Bearer token). */
export const TOKEN = 'let-me-in';
/** Headers of an authorised browser context. */
export const AUTHORISED = { authorization: `Bearer ${TOKEN}` };

/** A dashboard mounted at /admin/queues of a node:http server on a free port. */
export interface Mounted {
  readonly url: string;
  readonly dashboard: Dashboard;
  close(): Promise<void>;
}

/** Mounts a dashboard (auth: the Bearer token unless `auth` is given) on a fresh server. */
export async function mount(
  options: Omit<DashboardOptions, 'auth' | 'basePath'> & Partial<DashboardOptions>,
): Promise<Mounted> {
  const dashboard = createDashboard({
    basePath: '/admin/queues',
    auth: (req) => req.headers.authorization === `Bearer ${TOKEN}`,
    ...options,
  });
  const server: Server = createServer((req, res) =>
    dashboard(req, res, () => {
      res.statusCode = 404;
      res.end('not the dashboard');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/admin/queues`,
    dashboard,
    close: async () => {
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const shots = fileURLToPath(new URL('../../../.screenshots/', import.meta.url));

/** Saves a full-page screenshot under .screenshots/ (gitignored) for review. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
}

/** Serious and critical axe-core violations of the page (id: the offending targets). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the dashboard's CSP (script-src 'self') stays on.
  await page.evaluate(axe.source);
  // A string: the test project compiles without the DOM lib.
  const results = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] })",
  )) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Collects console errors and uncaught page errors of `page` (expect the list to stay empty). */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * @mqkit/dashboard mounted in an Express 5 app with `app.use('/admin/queues', dashboard)`. The
 * app's own middleware authenticates (here: a bearer token from `DASHBOARD_TOKEN`, default
 * `change-me`) and the dashboard's `auth` reads what it decided. A memory queue holds one dead
 * letter to replay; `POST /orders/resume` starts the worker. `PORT` (default 3000; 0 picks a
 * free port) — the address is printed. Stops gracefully on SIGTERM/SIGINT.
 */
import type { IncomingMessage } from 'node:http';
import { type Consumer, NonRetryableError } from '@mqkit/core';
import { createActivityTracker, createDashboard } from '@mqkit/dashboard';
import { createMemoryQueue } from '@mqkit/memory';
import express from 'express';

const TOKEN = process.env.DASHBOARD_TOKEN ?? 'change-me';

const activity = createActivityTracker();
const queue = createMemoryQueue({ lifecycle: activity });
const failing = queue.consume('invoices', async () => {
  throw new NonRetryableError('PDF renderer timed out');
});
await queue.publish('invoices', { type: 'invoice.render', payload: { invoiceId: 'inv-1' } });
while ((await queue.deadLetters.count('invoices')) < 1) await new Promise((r) => setTimeout(r, 10));
await failing.stop();

/** What the app's authentication middleware decided (Express keeps it on the request). */
type AuthenticatedRequest = IncomingMessage & { isOperator?: boolean };

const dashboard = createDashboard({
  queues: queue,
  // Listed even while empty (queue.queues() names only queues holding messages).
  queueNames: ['invoices'],
  basePath: '/admin/queues',
  auth: (req) => (req as AuthenticatedRequest).isOperator === true,
  activity,
});

const app = express();
app.use((req, _res, next) => {
  (req as AuthenticatedRequest).isOperator = req.get('authorization') === `Bearer ${TOKEN}`;
  next();
});
app.use('/admin/queues', dashboard);

let worker: Consumer | undefined;
let handled = 0;
app.post('/invoices/resume', (_req, res) => {
  worker ??= queue.consume('invoices', async (messages) => {
    handled += messages.length;
  });
  res.send('worker started\n');
});

const port = Number(process.env.PORT ?? '3000');
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`dashboard-express listening on http://127.0.0.1:${actual}/admin/queues`);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  server.close();
  server.closeAllConnections();
  dashboard.close();
  await worker?.stop();
  await queue.close();
  console.log(`stopped after handling ${handled} invoices`);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  });

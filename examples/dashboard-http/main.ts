/**
 * @mqkit/dashboard mounted in a plain `node:http` server at /admin/queues, behind HTTP Basic
 * auth (user `admin`, password from `DASHBOARD_PASSWORD`, default `change-me`). A memory queue
 * is seeded with a few orders, two of which fail for good (dead letters to replay or purge);
 * `POST /orders/resume` starts the worker that handles what is ready. `PORT` (default 3000;
 * 0 picks a free port) — the address is printed. Stops gracefully on SIGTERM/SIGINT.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { type Consumer, NonRetryableError } from '@mqkit/core';
import { createActivityTracker, createDashboard } from '@mqkit/dashboard';
import { createMemoryQueue } from '@mqkit/memory';

const PASSWORD = process.env.DASHBOARD_PASSWORD ?? 'change-me';

/** True when the request carries `admin:<PASSWORD>` as HTTP Basic credentials. */
function isAdmin(req: IncomingMessage): boolean {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const expected = Buffer.from(`admin:${PASSWORD}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const activity = createActivityTracker();
const queue = createMemoryQueue({ lifecycle: activity });

// Demo data: 2 orders that fail for good, then 3 waiting for the worker.
const failing = queue.consume('orders', async () => {
  throw new NonRetryableError('payment provider rejected the card');
});
await queue.publish('orders', [
  { type: 'order.created', payload: { orderId: 1 } },
  { type: 'order.created', payload: { orderId: 2 } },
]);
while ((await queue.deadLetters.count('orders')) < 2) await new Promise((r) => setTimeout(r, 10));
await failing.stop();
await queue.publish(
  'orders',
  [1, 2, 3].map((n) => ({ type: 'order.created', payload: { orderId: 10 + n } })),
);

const dashboard = createDashboard({
  queues: queue,
  // Listed even while empty (queue.queues() names only queues holding messages).
  queueNames: ['orders'],
  basePath: '/admin/queues',
  auth: isAdmin,
  activity,
});

let worker: Consumer | undefined;
let handled = 0;
const server = createServer((req, res) => {
  if (req.url === '/orders/resume' && req.method === 'POST') {
    worker ??= queue.consume('orders', async (messages) => {
      handled += messages.length;
    });
    res.end('worker started\n');
    return;
  }
  // Ask the browser for credentials on the dashboard's paths; the dashboard checks them again.
  if (req.url?.startsWith('/admin/queues') && !isAdmin(req)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mqkit dashboard"' });
    res.end('authentication required\n');
    return;
  }
  dashboard(req, res, () => {
    res.writeHead(404).end('not found\n');
  });
});

const port = Number(process.env.PORT ?? '3000');
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`dashboard-http listening on http://127.0.0.1:${actual}/admin/queues`);
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
  console.log(`stopped after handling ${handled} orders`);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  });

/**
 * A metrics and health endpoint for an mqkit application: `/metrics` (Prometheus), `/healthz`
 * (liveness), `/readyz` (readiness), with the fulfilment worker of examples/di-swap consuming.
 * The provider comes from `MQKIT_PROVIDER` through the same DI entry as examples/di-swap (memory
 * by default). `PORT` (default 9464; 0 picks a free port) — the chosen address is printed.
 * Stops gracefully on SIGTERM/SIGINT.
 */
import { createPrometheusLifecycle } from '@mqkit/prometheus';
import { Registry } from 'prom-client';
import { ORDERS_QUEUE } from '../di-swap/app/events.js';
import { createFulfilmentWorker } from '../di-swap/app/fulfilment-worker.js';
import { createOrderService } from '../di-swap/app/order-service.js';
import { createQueueBackend, readQueueConfig } from '../di-swap/providers.js';
import { createMetricsServer } from './server.js';

const registry = new Registry();
const metrics = createPrometheusLifecycle({ registry });
const backend = createQueueBackend(readQueueConfig(), {
  lifecycle: metrics,
  onLifecycleError: metrics.onLifecycleError,
});
const { queue } = backend;
await queue.init();
metrics.watch(queue, [ORDERS_QUEUE]);
const worker = createFulfilmentWorker({ queue });
const orderService = createOrderService({ queue });
worker.start();

const server = createMetricsServer({ queue, metrics, orderService, worker });
const port = Number(process.env.PORT ?? '9464');
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(
    `metrics-server listening on http://127.0.0.1:${actual} (provider ${queue.provider})`,
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  server.close();
  server.closeAllConnections();
  await worker.stop();
  await backend.dispose();
  console.log(`stopped after fulfilling ${worker.fulfilled.length} orders`);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  });

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HealthReport, MessageQueue } from '@mqkit/core';
import type { PrometheusLifecycle } from '@mqkit/prometheus';
import type { ShopEvents } from '../di-swap/app/events.js';
import type { FulfilmentWorker } from '../di-swap/app/fulfilment-worker.js';
import type { OrderService } from '../di-swap/app/order-service.js';

/** What the HTTP server exposes. */
export interface MetricsServerDeps {
  readonly queue: MessageQueue<ShopEvents>;
  readonly metrics: PrometheusLifecycle;
  readonly orderService: OrderService;
  readonly worker: FulfilmentWorker;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body)}\n`);
}

/** `/healthz` and `/readyz` answer 200 or 503 with the health report as JSON. */
async function probe(
  res: ServerResponse,
  queue: MessageQueue<ShopEvents>,
  pick: (h: HealthReport) => boolean,
) {
  const report = await queue.health({ timeoutMs: 2_000 });
  json(res, pick(report) ? 200 : 503, report);
}

let orderSeq = 0;

/**
 * The routes:
 * - `GET /metrics`: Prometheus exposition of the registry (events + depth sampled from stats());
 * - `GET /healthz`: liveness — 503 when a consumer loop is stuck (restart me);
 * - `GET /readyz`: readiness — 503 when the backend does not answer (route no traffic to me);
 * - `POST /demo/orders?count=N`, `POST /demo/pause`, `POST /demo/resume`: drive traffic (demo only).
 */
export function createMetricsServer(deps: MetricsServerDeps): Server {
  const { queue, metrics, orderService, worker } = deps;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = `${req.method} ${url.pathname}`;
    switch (key) {
      case 'GET /metrics':
        return send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
      case 'GET /healthz':
        return probe(res, queue, (h) => h.live);
      case 'GET /readyz':
        return probe(res, queue, (h) => h.ready);
      case 'POST /demo/orders': {
        const count = Number(url.searchParams.get('count') ?? '1');
        if (!Number.isInteger(count) || count < 1 || count > 10_000)
          return json(res, 400, { error: 'count must be an integer from 1 to 10000' });
        for (let i = 0; i < count; i++)
          await orderService.placeOrder({ orderId: `M-${++orderSeq}`, items: 1, totalCents: 100 });
        return json(res, 200, { published: count });
      }
      case 'POST /demo/pause':
        await worker.stop();
        return json(res, 200, { consuming: false });
      case 'POST /demo/resume':
        worker.start();
        return json(res, 200, { consuming: true });
      default:
        return json(res, 404, { error: `no route ${key}` });
    }
  };
  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
}

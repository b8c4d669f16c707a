/**
 * Runs the same application twice — wired by a plain composition root, then by awilix — with the
 * provider chosen by `MQKIT_PROVIDER` (default `memory`; also `prisma-postgresql`,
 * `prisma-mariadb`, `mongodb`, connecting to `DATABASE_URL`), and prints what each delivered.
 * Prints `disposed` once everything is closed: nothing may keep the process alive after that.
 * Exits 1 when a wiring delivers less than it published or the provider is unknown.
 */
import type { FulfilmentWorker } from './app/fulfilment-worker.js';
import type { NewOrder, OrderService } from './app/order-service.js';
import { createAppContainer, initContainer } from './awilix-container.js';
import { composeApp } from './composition-root.js';
import type { QueueConfig } from './providers.js';

interface Wiring {
  readonly config: QueueConfig;
  readonly orderService: OrderService;
  readonly fulfilmentWorker: FulfilmentWorker;
  dispose(): Promise<void>;
}

const ORDERS: readonly NewOrder[] = [
  { orderId: 'A-1001', items: 2, totalCents: 4_500 },
  { orderId: 'A-1002', items: 1, totalCents: 1_299 },
  { orderId: 'A-1003', items: 5, totalCents: 12_000 },
];

async function exercise(label: string, wiring: Wiring, prefix: string): Promise<void> {
  const { config, orderService, fulfilmentWorker } = wiring;
  try {
    fulfilmentWorker.start();
    const orders = ORDERS.map((o) => ({ ...o, orderId: `${prefix}${o.orderId}` }));
    for (const order of orders) await orderService.placeOrder(order);
    await fulfilmentWorker.whenFulfilled(orders.length, 15_000);
    const delivered = [...fulfilmentWorker.fulfilled].sort();
    console.log(
      `${label.padEnd(24)} provider=${config.provider}  published ${orders.length}  delivered ${delivered.length}: ${delivered.join(', ')}`,
    );
  } finally {
    await wiring.dispose();
  }
}

async function main(): Promise<void> {
  await exercise('plain composition root', await composeApp(), 'plain-');

  const container = createAppContainer();
  await initContainer(container);
  await exercise(
    'awilix container',
    {
      config: container.cradle.config,
      orderService: container.cradle.orderService,
      fulfilmentWorker: container.cradle.fulfilmentWorker,
      dispose: () => container.dispose(),
    },
    'awilix-',
  );
  console.log('disposed');
}

main().catch((error: unknown) => {
  console.error(`di-swap failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

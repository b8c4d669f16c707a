import type { MessageQueue } from '@mqkit/core';
import { type AwilixContainer, asFunction, asValue, createContainer, InjectionMode } from 'awilix';
import type { ShopEvents } from './app/events.js';
import { createFulfilmentWorker, type FulfilmentWorker } from './app/fulfilment-worker.js';
import { createOrderService, type OrderService } from './app/order-service.js';
import {
  createQueueBackend,
  type QueueBackend,
  type QueueConfig,
  readQueueConfig,
} from './providers.js';

/** What the container resolves. */
export interface Cradle {
  config: QueueConfig;
  queueBackend: QueueBackend;
  queue: MessageQueue<ShopEvents>;
  orderService: OrderService;
  fulfilmentWorker: FulfilmentWorker;
}

/**
 * The same application wired by awilix: the backend is one singleton binding chosen from
 * configuration. Awilix runs disposers concurrently, so the backend's single disposer closes
 * the queue and then its client in order (closing the queue also stops the worker's consumer).
 * Call {@link initContainer} before use and `container.dispose()` at shutdown.
 */
export function createAppContainer(env: NodeJS.ProcessEnv = process.env): AwilixContainer<Cradle> {
  const container = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(readQueueConfig(env)),
    queueBackend: asFunction(({ config }: Cradle) => createQueueBackend(config))
      .singleton()
      .disposer((backend) => backend.dispose()),
    queue: asFunction(({ queueBackend }: Cradle) => queueBackend.queue).singleton(),
    orderService: asFunction(createOrderService).singleton(),
    fulfilmentWorker: asFunction(createFulfilmentWorker)
      .singleton()
      .disposer((worker) => worker.stop()),
  });
  return container;
}

/** Makes the container's queue ready (`init()`, the same call for every provider). */
export async function initContainer(container: AwilixContainer<Cradle>): Promise<void> {
  try {
    await container.cradle.queue.init();
  } catch (error) {
    await container.dispose();
    throw error;
  }
}

import type { MessageQueue } from '@mqkit/core';
import { type AwilixContainer, asFunction, asValue, createContainer, InjectionMode } from 'awilix';
import type { ShopEvents } from './app/events.js';
import { createFulfilmentWorker, type FulfilmentWorker } from './app/fulfilment-worker.js';
import { createOrderService, type OrderService } from './app/order-service.js';
import { createQueue, type QueueConfig, readQueueConfig } from './providers.js';

/** What the container resolves. */
export interface Cradle {
  config: QueueConfig;
  queue: MessageQueue<ShopEvents>;
  orderService: OrderService;
  fulfilmentWorker: FulfilmentWorker;
}

/**
 * The same application wired by awilix: the queue is one singleton binding chosen from
 * configuration; `container.dispose()` stops the worker and closes the queue.
 */
export function createAppContainer(env: NodeJS.ProcessEnv = process.env): AwilixContainer<Cradle> {
  const container = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(readQueueConfig(env)),
    queue: asFunction(({ config }: Cradle) => createQueue(config))
      .singleton()
      .disposer((queue) => queue.close()),
    orderService: asFunction(createOrderService).singleton(),
    fulfilmentWorker: asFunction(createFulfilmentWorker)
      .singleton()
      .disposer((worker) => worker.stop()),
  });
  return container;
}

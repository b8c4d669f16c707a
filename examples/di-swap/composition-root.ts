import { createFulfilmentWorker, type FulfilmentWorker } from './app/fulfilment-worker.js';
import { createOrderService, type OrderService } from './app/order-service.js';
import { createQueue, type QueueConfig, readQueueConfig } from './providers.js';

/** The wired application. */
export interface App {
  readonly config: QueueConfig;
  readonly orderService: OrderService;
  readonly fulfilmentWorker: FulfilmentWorker;
  /** Stops the worker and closes the queue. */
  dispose(): Promise<void>;
}

/**
 * Plain composition root: the provider is chosen once, from configuration, and passed down as a
 * `MessageQueue`. No container, no decorators, no globals.
 */
export function composeApp(env: NodeJS.ProcessEnv = process.env): App {
  const config = readQueueConfig(env);
  const queue = createQueue(config);
  const orderService = createOrderService({ queue });
  const fulfilmentWorker = createFulfilmentWorker({ queue });
  return {
    config,
    orderService,
    fulfilmentWorker,
    async dispose() {
      await fulfilmentWorker.stop();
      await queue.close();
    },
  };
}

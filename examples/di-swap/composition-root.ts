import { createFulfilmentWorker, type FulfilmentWorker } from './app/fulfilment-worker.js';
import { createOrderService, type OrderService } from './app/order-service.js';
import { createQueueBackend, type QueueConfig, readQueueConfig } from './providers.js';

/** The wired application. */
export interface App {
  readonly config: QueueConfig;
  readonly orderService: OrderService;
  readonly fulfilmentWorker: FulfilmentWorker;
  /** Stops the worker, closes the queue, then the database client behind it. */
  dispose(): Promise<void>;
}

/**
 * Plain composition root: the provider is chosen once, from configuration, made ready with
 * `init()` (the same call for every provider), and passed down as a `MessageQueue`. No
 * container, no decorators, no globals.
 */
export async function composeApp(env: NodeJS.ProcessEnv = process.env): Promise<App> {
  const config = readQueueConfig(env);
  const backend = createQueueBackend(config);
  try {
    await backend.queue.init();
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  const orderService = createOrderService({ queue: backend.queue });
  const fulfilmentWorker = createFulfilmentWorker({ queue: backend.queue });
  return {
    config,
    orderService,
    fulfilmentWorker,
    async dispose() {
      await fulfilmentWorker.stop();
      await backend.dispose();
    },
  };
}

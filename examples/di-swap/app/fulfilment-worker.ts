import type { Consumer, MessageQueue } from '@mqkit/core';
import { ORDERS_QUEUE, type ShopEvents } from './events.js';

/** Background worker: consumes `order.placed` and "fulfils" each order. */
export interface FulfilmentWorker {
  /** Starts consuming (idempotent). */
  start(): void;
  /** Stops consuming, draining in-flight work. */
  stop(): Promise<void>;
  /** Ids of the orders fulfilled so far, in the order they were fulfilled. */
  readonly fulfilled: readonly string[];
  /** Resolves once `count` orders are fulfilled; rejects after `timeoutMs`. */
  whenFulfilled(count: number, timeoutMs: number): Promise<void>;
}

/** Depends on the `MessageQueue` contract only, like {@link createOrderService}. */
export function createFulfilmentWorker({
  queue,
}: {
  queue: MessageQueue<ShopEvents>;
}): FulfilmentWorker {
  const fulfilled: string[] = [];
  const waiters = new Set<() => void>();
  let consumer: Consumer | undefined;

  return {
    fulfilled,
    start() {
      if (consumer?.running) return;
      consumer = queue.consume(
        ORDERS_QUEUE,
        async (messages) => {
          for (const message of messages) fulfilled.push(message.payload.orderId);
          for (const wake of [...waiters]) wake();
        },
        { concurrency: 2, pollIntervalMs: 100 },
      );
    },
    async stop() {
      await consumer?.stop({ timeoutMs: 5_000 });
    },
    whenFulfilled(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (fulfilled.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`only ${fulfilled.length} of ${count} orders fulfilled in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

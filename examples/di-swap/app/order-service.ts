import type { MessageQueue } from '@mqkit/core';
import { ORDERS_QUEUE, type ShopEvents } from './events.js';

/** An order as the shop's API receives it. */
export interface NewOrder {
  orderId: string;
  items: number;
  totalCents: number;
}

/** Application service: accepts orders and hands fulfilment off to a queue. */
export interface OrderService {
  /** Publishes `order.placed`; resolves to the message id. */
  placeOrder(order: NewOrder): Promise<string>;
}

/**
 * Depends on the `MessageQueue` contract only: which provider sits behind it is decided by the
 * composition root (or DI container), never here. The `{ queue }` argument is also the shape
 * awilix injects in PROXY mode.
 */
export function createOrderService({ queue }: { queue: MessageQueue<ShopEvents> }): OrderService {
  return {
    async placeOrder(order) {
      const { ids } = await queue.publish(ORDERS_QUEUE, {
        type: 'order.placed',
        id: order.orderId,
        payload: order,
        headers: { 'x-source': 'order-service' },
      });
      return ids[0] ?? order.orderId;
    },
  };
}

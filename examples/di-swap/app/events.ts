/** The messages this application exchanges: type → payload. Provider-independent. */
export type ShopEvents = {
  'order.placed': { orderId: string; items: number; totalCents: number };
};

/** Queue the order service publishes to and the fulfilment worker consumes. */
export const ORDERS_QUEUE = 'orders';

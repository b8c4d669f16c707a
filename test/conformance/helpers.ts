import { randomBytes } from 'node:crypto';
import type { Handler, Message } from '@mqkit/core';

/** A queue name no other test uses. */
export function uniqueQueue(prefix = 'q'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Polls `predicate` every 10 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** One delivery as a handler saw it. */
export interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly at: number;
  readonly message: Message;
}

/** Records every delivery; `behave` decides what the handler does with each batch. */
export function recorder(behave?: Handler) {
  const deliveries: Delivery[] = [];
  const batches: number[] = [];
  const handler: Handler = async (messages, ctx) => {
    batches.push(messages.length);
    const at = Date.now();
    for (const m of messages)
      deliveries.push({
        id: m.id,
        type: m.type,
        payload: m.payload,
        attempt: m.attempt,
        at,
        message: m,
      });
    return behave ? behave(messages, ctx) : undefined;
  };
  const countOf = (id: string): number => deliveries.filter((d) => d.id === id).length;
  const distinct = (): Set<string> => new Set(deliveries.map((d) => d.id));
  return { deliveries, batches, handler, countOf, distinct };
}

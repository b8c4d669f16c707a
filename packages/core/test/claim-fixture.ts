// A claim as a backend hands it to the consume loop, and the hooks of an outcome buffer, for tests
// that drive the loop or its buffers without a store.
import type { Claim, OutcomeBufferHooks } from '../src/provider.js';

/** A claim of message `id` (type `t`, attempt 1 of 3, lease token 1), with `over` applied. */
export function testClaim(id: string, over: Partial<Claim> = {}): Claim {
  return {
    id,
    type: 't',
    body: JSON.stringify(id),
    attempt: 1,
    maxAttempts: 3,
    createdAt: new Date(0),
    runAt: new Date(0),
    partitionKey: undefined,
    priority: 0,
    headers: {},
    token: 1,
    ...over,
  };
}

/** `OutcomeBuffer` hooks for tests: write errors go to `failures`, retries after 1 ms, never give up. */
export function testBufferHooks(failures: unknown[] = []): OutcomeBufferHooks {
  return {
    onWriteError: (e: unknown) => void failures.push(e),
    retryDelayMs: () => 1,
    mayGiveUp: () => false,
    onGiveUp: () => undefined,
    signal: () => new AbortController().signal,
  };
}

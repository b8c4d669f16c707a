// The fields of a stored record for tests that drive the memory store directly.
import type { RecordFields } from '../src/store.js';

/** Record fields of message `id` (type `t`, due at 0, priority 0), with `over` applied. */
export const recordFields = (id: string, over: Partial<RecordFields> = {}): RecordFields => ({
  id,
  type: 't',
  body: '1',
  createdAt: 0,
  runAt: 0,
  partitionKey: undefined,
  headers: {},
  maxAttempts: undefined,
  priority: 0,
  ...over,
});

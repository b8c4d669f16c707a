import { createMemoryQueue, createMemoryStore } from '@mqkit/memory';
import { defineConformanceSuite } from './suite.js';

// One store per suite run: queue instances created from it share queues, like processes
// sharing a server; it is the "user-supplied client" that close() must leave usable.
const store = createMemoryStore();

defineConformanceSuite({
  name: 'memory',
  create: (options) => createMemoryQueue({ ...options, store }),
});

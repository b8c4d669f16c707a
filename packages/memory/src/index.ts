export {
  createMemoryQueue,
  type MemoryQueue,
  type MemoryQueueOptions,
  memoryCapabilities,
} from './memory-queue.js';
export { createMemoryStore, MemoryStore } from './store.js';

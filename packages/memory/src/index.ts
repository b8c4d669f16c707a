export {
  createMemoryQueue,
  type MemoryQueue,
  type MemoryQueueOptions,
  memoryCapabilities,
} from './memory-queue.js';
export { createMemoryStore, type MemoryStore } from './memory-store.js';

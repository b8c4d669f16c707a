export { createMemoryQueue, memoryCapabilities, type MemoryQueue, type MemoryQueueOptions } from './memory-queue.js';
export { createMemoryStore, MemoryStore } from './store.js';

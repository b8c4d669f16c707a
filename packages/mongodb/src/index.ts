export {
  createMongoQueue,
  DEFAULT_COLLECTION,
  type MongoQueue,
  type MongoQueueOptions,
  mongoCapabilities,
} from './mongo-queue.js';
export type { RetentionOptions } from './schema/indexes.js';
export type { WakeUpMode } from './wakeup/wake-hub.js';

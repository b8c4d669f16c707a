export type { Checkpoint, CheckpointRejection, CheckpointStore } from './checkpoint/store.js';
export { createRedisCheckpointStore, SHARD_END } from './checkpoint/store.js';
export type { StoredDeadLetter } from './dead-letter/store.js';
export type { Envelope } from './envelope.js';
export { createKinesisQueue, type KinesisQueue, kinesisCapabilities } from './kinesis-queue.js';
export type { Lease, LeaseRejection, LeaseStore } from './lease/leases.js';
export { createRedisLeaseStore } from './lease/leases.js';
export { type QueueKeys, queueKeys, streamNameOf } from './names.js';
export type {
  KinesisConnection,
  KinesisConsumerOptions,
  KinesisDeadLetterOptions,
  KinesisLingerOptions,
  KinesisProducerOptions,
  KinesisQueueOptions,
  StartPosition,
} from './options.js';
export {
  type PartitionKeyInput,
  type PartitionKeyStrategy,
  partitionKeyOf,
} from './partition-key.js';
export { KINESIS_PUT_LIMITS, type PutLimits, planBatches } from './producer/batches.js';

export {
  assertKnownQueue,
  countMatching,
  inspectDeadLetter,
  type ListOptions,
  listDeadLetters,
  listQueues,
  type OperatorFilter,
  parseTime,
  peekQueue,
  purgeDeadLetters,
  queueOverview,
  replayDeadLetters,
  selectsAll,
  toDeadLetterFilter,
  withoutPayload,
} from './actions/index.js';
export {
  type InstanceView,
  instanceOverview,
  type KinesisTarget,
  releaseLease,
  type ShardView,
  setCheckpoint,
  shardOverview,
} from './actions/kinesis/shards.js';
export {
  type BackendKind,
  CONNECTION_ENV,
  type ConnectionFlags,
  type OpenQueue,
  openQueue,
  type ResolvedConnection,
  resolveConnection,
} from './connect/connection.js';
export { ExitCode } from './exit.js';
export { type CliIO, main } from './program.js';

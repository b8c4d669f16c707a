// @mqkit/cli/actions — the operator actions alone, without the CLI's program and connection code
// (no database drivers loaded): what @mqkit/dashboard and the `mqkit` binary both call.
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

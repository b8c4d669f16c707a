// The operator actions shared by the `mqkit` CLI and @mqkit/dashboard: each takes a
// MessageQueue (any provider) and returns data; rendering is the caller's business.
export {
  countMatching,
  inspectDeadLetter,
  type ListOptions,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
} from './dead-letters.js';
export { type OperatorFilter, parseTime, selectsAll, toDeadLetterFilter } from './filters.js';
export {
  assertKnownQueue,
  listQueues,
  peekQueue,
  queueOverview,
  withoutPayload,
} from './queues.js';

// @mqkit/core/provider — the provider kit: what a provider package builds on. Applications
// import from `@mqkit/core` only.
export { computeBackoffMs } from './backoff.js';
export { type Admission, admitClaims, type Rejection } from './consumer/admit.js';
export type {
  Claim,
  ConsumerBackend,
  DeadLetterOutcome,
  DeadLetterReason,
  Envelope,
  Outcomes,
  RetryOutcome,
} from './consumer/backend.js';
export { type BreakerDelay, CircuitBreaker } from './consumer/circuit-breaker.js';
export { decodeEnvelope, decodeEnvelopeLenient, poisonError } from './consumer/decode.js';
export {
  attemptsExhausted,
  decideFailure,
  type FailureDecision,
  failureBackoffMs,
  isNonRetryable,
  leaseExpiredError,
  needsSoloRun,
  requestedRetryMs,
} from './consumer/failure-policy.js';
export { messageInfo, messageInfoList } from './consumer/message-info.js';
export {
  MAX_OUTCOMES_PER_WRITE,
  OutcomeBuffer,
  type OutcomeBufferHooks,
  outcomeCount,
  takeOutcomes,
} from './consumer/outcome-buffer.js';
export {
  OutcomeRecorder,
  type OutcomeRecorderParams,
  type RecordedRun,
} from './consumer/outcome-recorder.js';
export { type ConsumerProbe, circuitState, isLive, probeBackend } from './consumer/probe.js';
export {
  type ConsumerRegistry,
  type ConsumerSetup,
  createConsumerRegistry,
  type HealthProbe,
} from './consumer/registry.js';
export { type RunConsumerParams, runConsumer } from './consumer/run-consumer.js';
export { type SleepOptions, sleep } from './consumer/sleep.js';
export { TokenBucket } from './consumer/token-bucket.js';
export { errorInfo } from './error-info.js';
export {
  createLifecycleDispatcher,
  LIFECYCLE_PAUSE_AFTER,
  LIFECYCLE_PAUSE_MAX_MS,
  LIFECYCLE_PAUSE_MS,
  type LifecycleDispatcher,
} from './lifecycle.js';
export { LogThrottle } from './log-throttle.js';
export { assertNamespace, assertQueueName, qualifyQueueName } from './names.js';
export {
  checkHealth,
  healthReport,
  measureBackend,
  resolveHealthOptions,
} from './observe/health.js';
export { namesInNamespace, resolvePeekOptions } from './observe/peek.js';
export { type RawStats, toQueueStats } from './observe/stats.js';
export {
  Checker,
  closest,
  describe as describeValue,
  type ResolvedConsumeOptions,
  resolveConsumeOptions,
  resolveStopTimeout,
} from './options.js';
export {
  type BackendErrorHint,
  toBackendError,
  withBackendErrors,
} from './provider/backend-error.js';
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  matchesDeadLetter,
  queryCriteria,
  type ResolvedDeadLetterFilter,
  resolveDeadLetterFilter,
  selectDeadLetters,
} from './provider/dead-letter-filter.js';
export {
  assignId,
  assignIds,
  createPublishKit,
  type PublishKit,
  type PublishKitContext,
  type PublishTail,
  publishTail,
} from './provider/publish-tail.js';
export { createWakeups, WakeSignal, type Wakeups } from './provider/wakeups.js';
export {
  type PrepareContext,
  type PreparedMessage,
  type PrepareTrace,
  prepareMessage,
  prepareMessages,
} from './publish.js';
export {
  QUEUE_OPTION_KEYS,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from './queue-options.js';
export { redactSecrets } from './redact.js';
export { storableStringProblem } from './strings.js';

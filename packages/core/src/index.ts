export { computeBackoffMs } from './backoff.js';
export type {
  Claim,
  ConsumerBackend,
  DeadLetterOutcome,
  Outcomes,
  RetryOutcome,
} from './consumer/backend.js';
export {
  type ConsumerRegistry,
  type ConsumerSetup,
  createConsumerRegistry,
} from './consumer/registry.js';
export { type RunConsumerParams, runConsumer } from './consumer/run-consumer.js';
export { TokenBucket } from './consumer/token-bucket.js';
export { errorInfo } from './error-info.js';
export {
  BackendError,
  ConfigurationError,
  ErrorCode,
  HandlerTimeoutError,
  LeaseLostError,
  MessageTooLargeError,
  MqkitError,
  NonRetryableError,
  QueueClosedError,
  SerializationError,
  ShutdownError,
  UnsupportedFeatureError,
  ValidationError,
} from './errors.js';
export {
  createLifecycleDispatcher,
  type LifecycleDispatcher,
  type LifecycleErrorHook,
  type LifecycleEvent,
  type LifecycleEventOf,
  type LifecycleEventType,
  type LifecycleProvider,
  type MessageInfo,
} from './lifecycle.js';
export { createDefaultLogger, type LogFn, type Logger } from './logger.js';
export { assertNamespace, assertQueueName, qualifyQueueName } from './names.js';
export {
  type BackoffOptions,
  Checker,
  type CircuitBreakerOptions,
  type ConsumeOptions,
  consumeDefaults,
  defaultPrefetch,
  describe as describeValue,
  type RateLimitOptions,
  type ResolvedConsumeOptions,
  type RetryOptions,
  resolveConsumeOptions,
} from './options.js';
export { type PrepareContext, type PreparedMessage, prepareMessages } from './publish.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  QUEUE_OPTION_KEYS,
  type QueueOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from './queue-options.js';
export { redactSecrets } from './redact.js';
export {
  findUnserializable,
  jsonSerializer,
  type Serializer,
  type UnserializableValue,
} from './serializer.js';
export type {
  BatchResult,
  Capabilities,
  Consumer,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterStore,
  ErrorInfo,
  FailedItem,
  Handler,
  HandlerContext,
  Headers,
  Message,
  MessageOf,
  MessageQueue,
  PayloadMap,
  PublishInput,
  PublishInputOf,
  PublishResult,
  StopOptions,
} from './types.js';

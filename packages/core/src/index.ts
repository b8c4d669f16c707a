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
  Checker,
  consumeDefaults,
  describe as describeValue,
  resolveConsumeOptions,
  type BackoffOptions,
  type CircuitBreakerOptions,
  type ConsumeOptions,
  type RateLimitOptions,
  type ResolvedConsumeOptions,
  type RetryOptions,
} from './options.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  QUEUE_OPTION_KEYS,
  resolveQueueOptions,
  type QueueOptions,
  type ResolvedQueueOptions,
} from './queue-options.js';
export { computeBackoffMs } from './backoff.js';
export { findUnserializable, jsonSerializer, type Serializer, type UnserializableValue } from './serializer.js';
export { prepareMessages, type PrepareContext, type PreparedMessage } from './publish.js';
export { assertNamespace, assertQueueName, qualifyQueueName } from './names.js';
export { createDefaultLogger, type LogFn, type Logger } from './logger.js';
export { redactSecrets } from './redact.js';
export { errorInfo } from './error-info.js';
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
export type { Claim, ConsumerBackend, DeadLetterOutcome, Outcomes, RetryOutcome } from './consumer/backend.js';
export { runConsumer, type RunConsumerParams } from './consumer/run-consumer.js';
export { TokenBucket } from './consumer/token-bucket.js';
export { createConsumerRegistry, type ConsumerRegistry } from './consumer/registry.js';

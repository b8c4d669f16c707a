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
export type {
  LifecycleErrorHook,
  LifecycleEvent,
  LifecycleEventOf,
  LifecycleEventType,
  LifecycleProvider,
  MessageInfo,
} from './lifecycle.js';
export { createDefaultLogger, type LogFn, type Logger } from './logger.js';
export { DEFAULT_HEALTH_TIMEOUT_MS } from './observe/health.js';
export type {
  BackendHealth,
  CircuitState,
  ConsumerHealth,
  HealthOptions,
  HealthReport,
  QueueStats,
  StatValue,
} from './observe/types.js';
export {
  type BackoffOptions,
  type CircuitBreakerOptions,
  type ConsumeOptions,
  consumeDefaults,
  type RateLimitOptions,
  type RetryOptions,
} from './options.js';
export { DEFAULT_MAX_MESSAGE_BYTES, type QueueOptions } from './queue-options.js';
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

export {
  BackendError,
  ConfigurationError,
  ErrorCode,
  HandlerTimeoutError,
  LeaseLostError,
  MessageTooLargeError,
  MqkitError,
  NonRetryableError,
  NotFoundError,
  QueueClosedError,
  SerializationError,
  ShutdownError,
  UnsupportedFeatureError,
  ValidationError,
} from './errors.js';
export type {
  HandlerTraceInfo,
  LifecycleErrorHook,
  LifecycleEvent,
  LifecycleEventOf,
  LifecycleEventType,
  LifecycleProvider,
  MessageInfo,
  MessageInfoList,
  PublishTraceInfo,
} from './lifecycle.js';
export { createDefaultLogger, type LogFn, type Logger } from './logger.js';
export { DEFAULT_HEALTH_TIMEOUT_MS } from './observe/health.js';
export { DEFAULT_PEEK_LIMIT, MAX_PEEK_LIMIT } from './observe/peek.js';
export type {
  BackendHealth,
  CircuitState,
  ConsumerHealth,
  HealthOptions,
  HealthReport,
  PeekOptions,
  QueueStats,
  StatValue,
} from './observe/types.js';
export {
  type BackoffOptions,
  type CircuitBreakerOptions,
  type ConsumeOptions,
  consumeDefaults,
  defaultPrefetch,
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

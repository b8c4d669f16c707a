export {
  createOpenTelemetryLifecycle,
  type OpenTelemetryLifecycleOptions,
  TRACER_NAME,
} from './lifecycle.js';
export {
  fromTraceHeaders,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  toTraceHeaders,
} from './w3c.js';

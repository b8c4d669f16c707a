import type { HandlerTraceInfo, LifecycleProvider, PublishTraceInfo } from '@mqkit/core';
import { ConfigurationError } from '@mqkit/core';
import {
  type Attributes,
  context,
  type Link,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { fromTraceHeaders, toTraceHeaders } from './w3c.js';

/** Options of {@link createOpenTelemetryLifecycle}. */
export interface OpenTelemetryLifecycleOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /**
   * A `process` span whose messages carry no trace context starts a new trace. Set false to run
   * such handlers without a span. Default true.
   */
  traceUncontextedHandlers?: boolean;
}

/** The scope name of mqkit's tracer. */
export const TRACER_NAME = '@mqkit/opentelemetry';

const SYSTEM = 'mqkit';

/**
 * Creates a lifecycle provider that carries W3C trace context through messages and records
 * spans per the OpenTelemetry messaging semantic conventions:
 * - on publish, when a span is active, one `create <queue>` PRODUCER span per message (a child of
 *   the active span) whose context goes into the message's `traceparent`/`tracestate` headers;
 *   with no active span, nothing is added and no span is made;
 * - around each handler call, one `process <queue>` CONSUMER span, a child of the message's
 *   trace (batch of one) or linked to every message's trace (larger batches), active while the
 *   handler runs, so the handler's own spans join the producer's trace.
 * Attach it with `lifecycle` (alone or beside others). Throws {@link ConfigurationError} on bad
 * options.
 */
export function createOpenTelemetryLifecycle(
  options: OpenTelemetryLifecycleOptions = {},
): LifecycleProvider {
  const known = new Set(['tracerProvider', 'traceUncontextedHandlers']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new ConfigurationError(
        key,
        `[@mqkit/opentelemetry] unknown option "${key}" (accepted: ${[...known].join(', ')})`,
      );
    }
  }
  const uncontexted = options.traceUncontextedHandlers ?? true;
  let tracer: Tracer | undefined;
  // Resolved lazily: the application may register its SDK after creating the queue.
  const tracerOf = (): Tracer => {
    tracer ??= (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME);
    return tracer;
  };

  return {
    name: 'opentelemetry',
    onEvent() {
      // Spans come from the hooks below; events carry nothing spans need.
    },
    propagate(info: PublishTraceInfo) {
      const active = context.active();
      const parent = trace.getSpanContext(active);
      if (parent === undefined || !trace.isSpanContextValid(parent)) return undefined;
      const attributes: Attributes = {
        'messaging.system': SYSTEM,
        'messaging.destination.name': info.queue,
        'messaging.operation.type': 'create',
        'messaging.operation.name': 'create',
        'mqkit.provider': info.provider,
        'mqkit.message.type': info.type,
      };
      if (info.batchSize > 1) attributes['messaging.batch.message_count'] = info.batchSize;
      const span = tracerOf().startSpan(
        `create ${info.queue}`,
        { kind: SpanKind.PRODUCER, attributes },
        active,
      );
      // A create span marks the message's creation; it ends at once (semantic conventions).
      span.end();
      return toTraceHeaders(span.spanContext());
    },
    aroundHandler<T>(info: HandlerTraceInfo, run: () => Promise<T>): Promise<T> {
      const remotes = info.messages
        .map((m) => fromTraceHeaders(m.headers))
        .filter((c): c is SpanContext => c !== undefined);
      if (remotes.length === 0 && !uncontexted) return run();
      const single = info.messages.length === 1 ? info.messages[0] : undefined;
      const attributes: Attributes = {
        'messaging.system': SYSTEM,
        'messaging.destination.name': info.queue,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'mqkit.provider': info.provider,
        'mqkit.consumer.id': info.consumerId,
      };
      if (single !== undefined) {
        attributes['messaging.message.id'] = single.id;
        attributes['mqkit.message.type'] = single.type;
        attributes['mqkit.message.attempt'] = single.attempt;
      } else {
        attributes['messaging.batch.message_count'] = info.messages.length;
      }
      // One message: its trace is the parent. A batch: a new trace linked to every message's.
      const parentContext =
        single !== undefined && remotes[0] !== undefined
          ? trace.setSpanContext(ROOT_CONTEXT, remotes[0])
          : ROOT_CONTEXT;
      const links: Link[] = remotes.map((c) => ({ context: c }));
      const span = tracerOf().startSpan(
        `process ${info.queue}`,
        { kind: SpanKind.CONSUMER, attributes, links },
        parentContext,
      );
      return context.with(trace.setSpan(parentContext, span), async () => {
        try {
          const result = await run();
          const failed = (result as { failed?: unknown[] } | undefined)?.failed;
          if (Array.isArray(failed) && failed.length > 0) {
            span.setAttribute('mqkit.failed_count', failed.length);
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: `${failed.length} message(s) failed`,
            });
          }
          return result;
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
          throw error;
        } finally {
          span.end();
        }
      });
    },
  };
}

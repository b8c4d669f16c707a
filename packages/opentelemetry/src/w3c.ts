import { createTraceState, type SpanContext, TraceFlags } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The W3C Trace Context header names (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT_HEADER = 'traceparent';
/** See {@link TRACEPARENT_HEADER}. */
export const TRACESTATE_HEADER = 'tracestate';

/**
 * Pure: the W3C `traceparent` (and `tracestate` when the context has one) of a span context, as
 * message headers. Version 00, lower-case hex.
 */
export function toTraceHeaders(span: SpanContext): Record<string, string> {
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = {
    [TRACEPARENT_HEADER]: `00-${span.traceId}-${span.spanId}-${flags}`,
  };
  const state = span.traceState?.serialize();
  if (state) headers[TRACESTATE_HEADER] = state;
  return headers;
}

/**
 * Pure: the remote span context named by message headers, or `undefined` when `traceparent` is
 * absent or malformed (all-zero ids, unknown version format) — a bad header never fails a handler.
 */
export function fromTraceHeaders(
  headers: Readonly<Record<string, string>> | undefined,
): SpanContext | undefined {
  const match = TRACEPARENT.exec(headers?.[TRACEPARENT_HEADER]?.trim().toLowerCase() ?? '');
  if (match === null) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const state = headers?.[TRACESTATE_HEADER];
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(state ? { traceState: createTraceState(state) } : {}),
  };
}

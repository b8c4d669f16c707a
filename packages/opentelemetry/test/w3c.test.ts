import { createTraceState, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { fromTraceHeaders, toTraceHeaders } from '../src/w3c.js';

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

describe('W3C trace context headers', () => {
  it('writes traceparent, and tracestate only when there is one', () => {
    expect(toTraceHeaders(span)).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const withState = toTraceHeaders({ ...span, traceState: createTraceState('vendor=a1') });
    expect(withState.tracestate).toBe('vendor=a1');
  });
  it('reads back what it wrote, as a remote context', () => {
    const read = fromTraceHeaders(toTraceHeaders({ ...span, traceState: createTraceState('k=v') }));
    expect(read).toMatchObject({ ...span, isRemote: true });
    expect(read?.traceState?.get('k')).toBe('v');
  });
  it('ignores absent, malformed or all-zero headers instead of failing', () => {
    expect(fromTraceHeaders(undefined)).toBeUndefined();
    expect(fromTraceHeaders({})).toBeUndefined();
    expect(fromTraceHeaders({ traceparent: 'garbage' })).toBeUndefined();
    expect(
      fromTraceHeaders({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }),
    ).toBeUndefined();
    expect(
      fromTraceHeaders({ traceparent: `00-${span.traceId}-${'0'.repeat(16)}-01` }),
    ).toBeUndefined();
  });
  it('keeps only the sampled flag', () => {
    expect(
      fromTraceHeaders({ traceparent: `00-${span.traceId}-${span.spanId}-00` })?.traceFlags,
    ).toBe(0);
  });
});

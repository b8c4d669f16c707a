import type { Message, MessageQueue, QueueOptions } from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';
import { createOpenTelemetryLifecycle } from '@mqkit/opentelemetry';
import { createPrismaQueue } from '@mqkit/prisma';
import { context, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postgres, probe } from '../../packages/prisma/test/databases.js';
import { uniqueQueue, waitFor } from '../conformance/helpers.js';

// Trace context across publish → handle, with the SDK's in-memory exporter, on memory and on
// PostgreSQL (headers go through the database and back).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('app');
const contextManager = new AsyncLocalStorageContextManager();
const silent = pino({ level: 'silent' });

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
afterEach(() => exporter.reset());

const unreachable = await probe(postgres);
if (unreachable) console.log(`SKIPPED: tracing on prisma/postgresql — ${unreachable}`);
const prisma = unreachable === undefined ? postgres.client({ max: 4 }) : undefined;
afterAll(async () => {
  await prisma?.$disconnect();
});

interface Seen {
  readonly message: Message;
  readonly active: SpanContext | undefined;
}

const targets: { name: string; run: boolean; create: (o: QueueOptions) => MessageQueue }[] = [
  { name: 'memory', run: true, create: (o) => createMemoryQueue(o) },
  {
    name: 'prisma/postgresql',
    run: prisma !== undefined,
    create: (o) => createPrismaQueue({ ...o, prisma: prisma as NonNullable<typeof prisma> }),
  },
];

const spansNamed = (name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.name === name);

for (const target of targets) {
  describe.runIf(target.run)(`trace context on ${target.name}`, () => {
    async function roundTrip(
      publish: (mq: MessageQueue, queue: string) => Promise<void>,
      handler?: () => void,
    ): Promise<{ queue: string; seen: Seen[] }> {
      const mq = target.create({
        logger: silent,
        lifecycle: createOpenTelemetryLifecycle({ tracerProvider: provider }),
      });
      const queue = uniqueQueue('trace');
      const seen: Seen[] = [];
      try {
        await publish(mq, queue);
        const consumer = mq.consume(
          queue,
          async ([m]) => {
            seen.push({ message: m as Message, active: trace.getActiveSpan()?.spanContext() });
            handler?.();
          },
          { retry: { maxAttempts: 1 } },
        );
        await waitFor(() => seen.length >= 1, 20_000, 'a delivery');
        await consumer.stop();
        await waitFor(() => spansNamed(`process ${queue}`).length >= 1, 5_000, 'the process span');
      } finally {
        await mq.close({ timeoutMs: 0 });
      }
      return { queue, seen };
    }

    it('a message published inside a trace is handled inside it: request → create → process', async () => {
      let request: SpanContext | undefined;
      const { queue, seen } = await roundTrip(async (mq, q) => {
        await tracer.startActiveSpan('POST /orders', async (span) => {
          request = span.spanContext();
          await mq.publish(q, {
            type: 'order',
            payload: { n: 1 },
            headers: { 'x-correlation': 'c1' },
          });
          span.end();
        });
      });
      const [create] = spansNamed(`create ${queue}`);
      const [process] = spansNamed(`process ${queue}`);
      expect(create?.kind).toBe(SpanKind.PRODUCER);
      expect(process?.kind).toBe(SpanKind.CONSUMER);
      // create is a child of the request, process a child of create: one trace end to end.
      expect(create?.spanContext().traceId).toBe(request?.traceId);
      expect(create?.parentSpanContext?.spanId).toBe(request?.spanId);
      expect(process?.spanContext().traceId).toBe(request?.traceId);
      expect(process?.parentSpanContext?.spanId).toBe(create?.spanContext().spanId);
      // The headers carried it, next to the publisher's own.
      const headers = seen[0]?.message.headers;
      expect(headers?.traceparent).toBe(
        `00-${request?.traceId}-${create?.spanContext().spanId}-01`,
      );
      expect(headers?.['x-correlation']).toBe('c1');
      // The handler ran inside the process span.
      expect(seen[0]?.active?.spanId).toBe(process?.spanContext().spanId);
      expect(process?.attributes).toMatchObject({
        'messaging.system': 'mqkit',
        'messaging.destination.name': queue,
        'messaging.operation.type': 'process',
        'messaging.message.id': seen[0]?.message.id,
      });
      expect(create?.attributes).toMatchObject({
        'messaging.destination.name': queue,
        'messaging.operation.type': 'create',
      });
    });

    it('with no active context nothing is added to the headers and no create span is made', async () => {
      const { queue, seen } = await roundTrip(async (mq, q) => {
        await mq.publish(q, { type: 'order', payload: {}, headers: { only: 'mine' } });
      });
      expect(seen[0]?.message.headers).toEqual({ only: 'mine' });
      expect(spansNamed(`create ${queue}`)).toEqual([]);
      const [process] = spansNamed(`process ${queue}`);
      expect(process?.parentSpanContext).toBeUndefined();
      expect(process?.links).toEqual([]);
    });

    it('a handler that throws ends its process span with an error status', async () => {
      const { queue } = await roundTrip(
        async (mq, q) => {
          await mq.publish(q, { type: 'order', payload: {} });
        },
        () => {
          throw new Error('card declined');
        },
      );
      const [process] = spansNamed(`process ${queue}`);
      expect(process?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
      expect(process?.events.map((e) => e.name)).toContain('exception');
    });
  });
}

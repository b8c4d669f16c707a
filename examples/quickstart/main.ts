/**
 * mqkit quick start (`pnpm demo`).
 *
 * Publishes typed messages of two types to an in-memory queue and consumes them with one handler
 * that fails some messages transiently (they succeed on a later attempt, after a short back-off)
 * and one permanently (`NonRetryableError`: dead-lettered at once). A tiny lifecycle provider
 * counts what happened; the summary at the end reads the dead letters back from the queue.
 * Exits 0 on its own once every message has an outcome, 1 if that takes longer than 10 s.
 */
import {
  type HandlerContext,
  type LifecycleEvent,
  type LifecycleProvider,
  type Logger,
  type MessageOf,
  NonRetryableError,
} from '@mqkit/core';
import { createMemoryQueue } from '@mqkit/memory';

/** Message type → payload type: `publish` and the handler are typed from this map. */
type Jobs = {
  'email.send': { to: string; subject: string };
  'invoice.render': { invoiceId: string; amountCents: number };
};
type Job = MessageOf<Jobs>;

const QUEUE = 'jobs';
const GIVE_UP_AFTER_MS = 10_000;

// ---- a tiny lifecycle provider: the same seam @mqkit/prometheus plugs into -----------------

interface Tally {
  published: number;
  deliveries: number;
  succeeded: number;
  succeededAfterRetry: number;
  retried: number;
  deadLettered: number;
}

function countingLifecycle(onAllSettled: () => void): LifecycleProvider & { tally: Tally } {
  const tally: Tally = {
    published: 0,
    deliveries: 0,
    succeeded: 0,
    succeededAfterRetry: 0,
    retried: 0,
    deadLettered: 0,
  };
  const check = (): void => {
    if (tally.published > 0 && tally.succeeded + tally.deadLettered === tally.published)
      onAllSettled();
  };
  return {
    name: 'quickstart-counter',
    tally,
    onEvent(event: LifecycleEvent) {
      switch (event.type) {
        case 'published':
          tally.published += event.messages.length;
          break;
        case 'delivered':
          tally.deliveries += event.messages.length;
          break;
        case 'succeeded':
          tally.succeeded += event.messages.length;
          for (const m of event.messages) if (m.attempt > 1) tally.succeededAfterRetry++;
          check();
          break;
        case 'retried':
          tally.retried++;
          console.log(
            `  retry   ${event.message.type} ${event.message.id} (attempt ${event.message.attempt} failed; next in ~${event.delayMs} ms)`,
          );
          break;
        case 'deadLettered':
          tally.deadLettered++;
          console.log(
            `  dead    ${event.message.type} ${event.message.id} (${event.reason}: ${event.error.message})`,
          );
          check();
          break;
      }
    },
  };
}

// ---- a pluggable logger: anything pino-compatible; here, warnings and errors to stderr ------

const noop = (): void => {};
const logger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (obj, msg) => console.error(`  [mqkit warn] ${typeof obj === 'string' ? obj : msg}`),
  error: (obj, msg) => console.error(`  [mqkit error] ${typeof obj === 'string' ? obj : msg}`),
};

// ---- the application's handler --------------------------------------------------------------

/** Emails to this address fail this many times ("SMTP 421: try again later") before they go through. */
const flakyRecipients = new Map([
  ['carol@example.com', 1],
  ['erin@example.com', 2],
]);

async function sendEmail(
  payload: Jobs['email.send'],
  attempt: number,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted(); // a real client would pass `signal` to its I/O
  const failures = flakyRecipients.get(payload.to) ?? 0;
  if (attempt <= failures) throw new Error(`SMTP 421 from mx for ${payload.to}: try again later`);
}

async function renderInvoice(payload: Jobs['invoice.render']): Promise<void> {
  if (payload.amountCents < 0) {
    // Retrying cannot fix bad data: skip the remaining attempts and dead-letter it now.
    throw new NonRetryableError(
      `invoice ${payload.invoiceId} has a negative amount (${payload.amountCents} cents)`,
    );
  }
}

async function handle(messages: Job[], ctx: HandlerContext): Promise<void> {
  for (const message of messages) {
    switch (message.type) {
      case 'email.send':
        await sendEmail(message.payload, message.attempt, ctx.signal);
        break;
      case 'invoice.render':
        await renderInvoice(message.payload);
        break;
    }
  }
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const startedAt = performance.now();
  let allSettled!: () => void;
  const settled = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const lifecycle = countingLifecycle(() => allSettled());
  const queue = createMemoryQueue<Jobs>({ lifecycle, logger });

  console.log('mqkit quick start: provider "memory", queue "jobs"');
  const consumer = queue.consume(QUEUE, handle, {
    concurrency: 4,
    retry: { maxAttempts: 5, backoff: { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0.2 } },
    handlerTimeoutMs: 5_000,
  });

  const emails = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(
    (name) => ({
      type: 'email.send' as const,
      id: `email-${name}`,
      payload: { to: `${name}@example.com`, subject: 'Your order has shipped' },
    }),
  );
  const invoices = [1200, 4999, -500, 7350].map((amountCents, i) => ({
    type: 'invoice.render' as const,
    id: `inv-${1001 + i}`,
    payload: { invoiceId: `INV-${1001 + i}`, amountCents },
  }));
  await queue.publish(QUEUE, emails);
  await queue.publish(QUEUE, invoices);
  console.log(`published ${emails.length} email.send + ${invoices.length} invoice.render messages`);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), GIVE_UP_AFTER_MS);
  });
  const finishedInTime = await Promise.race([settled.then(() => false), timedOut]).then(
    (late) => !late,
  );
  clearTimeout(timer);

  // Graceful stop: drains in-flight handlers and writes their outcomes before resolving.
  await consumer.stop({ timeoutMs: 2_000 });
  const deadLetters = await queue.deadLetters.list(QUEUE);
  await queue.close();
  const wallMs = performance.now() - startedAt;

  const t = lifecycle.tally;
  console.log('');
  console.log('summary');
  console.log(`  published      ${t.published}`);
  console.log(`  deliveries     ${t.deliveries} (handler attempts, retries included)`);
  console.log(`  delivered      ${t.succeeded} (${t.succeededAfterRetry} after a retry)`);
  console.log(`  retried        ${t.retried}`);
  console.log(`  dead-lettered  ${deadLetters.length}`);
  for (const dl of deadLetters) {
    console.log(
      `    - ${dl.message.type} ${dl.message.id} after ${dl.attempts} attempt(s): ${dl.error.name}: ${dl.error.message}`,
    );
  }
  console.log(`  wall time      ${(wallMs / 1000).toFixed(2)} s`);

  if (!finishedInTime) {
    console.error(`not every message had an outcome within ${GIVE_UP_AFTER_MS} ms`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);

import {
  MessageTooLargeError,
  SerializationError,
  UnsupportedFeatureError,
  ValidationError,
} from './errors.js';
import type { LifecycleDispatcher } from './lifecycle.js';
import { describe } from './options.js';
import type { Serializer } from './serializer.js';
import { storableStringProblem } from './strings.js';
import type { Capabilities, Headers, PublishInput } from './types.js';

/** A validated, serialised message ready for a provider to store. */
export interface PreparedMessage {
  /** Given id, or `undefined` when the provider must generate one. */
  readonly id: string | undefined;
  readonly type: string;
  /** Serialised payload. */
  readonly body: string;
  /** Delay from now in ms (0 when due now); providers with a database clock add it there. */
  readonly delayMs: number;
  /** Absolute due time when `runAt` was given (wins over `delayMs`). */
  readonly runAt: Date | undefined;
  readonly partitionKey: string | undefined;
  readonly headers: Headers;
  readonly maxAttempts: number | undefined;
  readonly priority: number;
  /** Approximate stored size in bytes (body + type + headers + key). */
  readonly size: number;
}

/** What `prepareMessages` needs to know about the provider. */
export interface PrepareContext {
  readonly provider: string;
  readonly capabilities: Capabilities;
  readonly serializer: Serializer;
  readonly maxMessageBytes: number;
}

const INPUT_KEYS = new Set([
  'type',
  'payload',
  'id',
  'delayMs',
  'runAt',
  'partitionKey',
  'headers',
  'maxAttempts',
  'priority',
]);
const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;

/**
 * Validates and serialises every message of a publish call before any I/O. Throws the first
 * problem as a typed error ({@link ValidationError}, {@link SerializationError},
 * {@link MessageTooLargeError}, {@link UnsupportedFeatureError}) whose message names the index;
 * when it throws, nothing of the batch may be published.
 */
export function prepareMessages(
  input: PublishInput | readonly PublishInput[],
  ctx: PrepareContext,
  trace?: PrepareTrace,
): PreparedMessage[] {
  const list = Array.isArray(input) ? (input as readonly PublishInput[]) : [input as PublishInput];
  const prepared = new Array<PreparedMessage>(list.length);
  for (let i = 0; i < list.length; i++)
    prepared[i] = prepareMessage(list[i], i, list.length > 1, ctx);
  const propagate = trace?.lifecycle.propagate;
  if (propagate !== undefined && trace !== undefined)
    addTraceHeaders(prepared, propagate, trace.queue, ctx);
  return prepared;
}

/** Where a publish goes, for trace propagation (see `LifecycleProvider.propagate`). */
export interface PrepareTrace {
  readonly lifecycle: LifecycleDispatcher;
  /** The queue as the application names it. */
  readonly queue: string;
}

/**
 * Adds each message's propagated headers (the publisher's own headers win) once the whole batch
 * validated, and checks the size again: trace headers count towards `maxMessageBytes`.
 */
function addTraceHeaders(
  prepared: PreparedMessage[],
  propagate: NonNullable<LifecycleDispatcher['propagate']>,
  queue: string,
  ctx: PrepareContext,
): void {
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i] as PreparedMessage;
    const added = propagate({
      provider: ctx.provider,
      queue,
      type: p.type,
      index: i,
      batchSize: prepared.length,
    });
    if (added === undefined) continue;
    let extra = 0;
    const headers: Record<string, string> = {};
    for (const key in added) {
      if (key in p.headers) continue;
      const value = added[key] as string;
      headers[key] = value;
      extra += key.length + value.length;
    }
    const size = p.size + extra;
    if (size > ctx.maxMessageBytes) {
      throw new MessageTooLargeError(
        size,
        ctx.maxMessageBytes,
        `[@mqkit/${ctx.provider}] message[${i}] is ${size} bytes serialised with its trace headers, over the limit of ${ctx.maxMessageBytes} bytes; nothing was published`,
        { index: i },
      );
    }
    prepared[i] = { ...p, headers: { ...headers, ...p.headers }, size };
  }
}

/**
 * Validates and serialises one message of a publish call: what {@link prepareMessages} does for
 * each element, without the trace headers. `index` and `inBatch` name the message in error
 * messages (`message[3]` in a batch, `message` alone). For a provider that turns each message into
 * its stored form in one pass (fewer objects alive at once than preparing the whole batch first);
 * it must still prepare every message before any I/O, and use {@link prepareMessages} when the
 * lifecycle propagates trace headers (`LifecycleDispatcher.propagate`).
 */
export function prepareMessage(
  input: PublishInput | undefined,
  index: number,
  inBatch: boolean,
  ctx: PrepareContext,
): PreparedMessage {
  const where = inBatch ? `message[${index}]` : 'message';
  const fail = (problem: string): never => {
    throw new ValidationError(
      `[@mqkit/${ctx.provider}] ${where}: ${problem}; nothing was published`,
      { index },
    );
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    fail(`must be an object with "type" and "payload" (got ${describe(input)})`);
  const m = input as PublishInput;
  for (const key in m) {
    if (!INPUT_KEYS.has(key))
      fail(`unknown field "${key}" (accepted: ${[...INPUT_KEYS].join(', ')})`);
  }
  if (typeof m.type !== 'string' || m.type.length === 0 || m.type.length > 200)
    fail(`"type" must be a non-empty string of at most 200 characters (got ${describe(m.type)})`);
  if (m.id !== undefined && (typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 200))
    fail(`"id" must be a non-empty string of at most 200 characters (got ${describe(m.id)})`);
  const unstorable = (field: string, value: string | undefined): void => {
    const problem = value === undefined ? undefined : storableStringProblem(value);
    if (problem !== undefined) fail(`${field} ${problem}`);
  };
  unstorable('"type"', m.type);
  unstorable('"id"', m.id);
  if (m.delayMs !== undefined && m.runAt !== undefined)
    fail('give either "delayMs" or "runAt", not both');
  if (
    m.delayMs !== undefined &&
    (typeof m.delayMs !== 'number' ||
      !Number.isFinite(m.delayMs) ||
      m.delayMs < 0 ||
      m.delayMs > MAX_DELAY_MS)
  )
    fail(`"delayMs" must be a number from 0 to ${MAX_DELAY_MS} (got ${describe(m.delayMs)})`);
  if (m.runAt !== undefined && (!(m.runAt instanceof Date) || Number.isNaN(m.runAt.getTime())))
    fail(`"runAt" must be a valid Date (got ${describe(m.runAt)})`);
  if ((m.delayMs !== undefined && m.delayMs > 0) || m.runAt !== undefined) {
    if (!ctx.capabilities.delay) throw new UnsupportedFeatureError('delay', ctx.provider);
  }
  if (m.priority !== undefined) {
    if (
      typeof m.priority !== 'number' ||
      !Number.isInteger(m.priority) ||
      Math.abs(m.priority) > 2_147_483_647
    )
      fail(`"priority" must be an integer (got ${describe(m.priority)})`);
    if (m.priority !== 0 && !ctx.capabilities.priority)
      throw new UnsupportedFeatureError('priority', ctx.provider);
  }
  if (
    m.partitionKey !== undefined &&
    (typeof m.partitionKey !== 'string' ||
      m.partitionKey.length === 0 ||
      m.partitionKey.length > 256)
  )
    fail(
      `"partitionKey" must be a non-empty string of at most 256 characters (got ${describe(m.partitionKey)})`,
    );
  unstorable('"partitionKey"', m.partitionKey);
  if (
    m.maxAttempts !== undefined &&
    (typeof m.maxAttempts !== 'number' ||
      !Number.isInteger(m.maxAttempts) ||
      m.maxAttempts < 1 ||
      m.maxAttempts > 1000)
  )
    fail(`"maxAttempts" must be an integer from 1 to 1000 (got ${describe(m.maxAttempts)})`);
  let headerBytes = 0;
  if (m.headers !== undefined) {
    if (typeof m.headers !== 'object' || m.headers === null || Array.isArray(m.headers))
      fail(`"headers" must be an object of strings (got ${describe(m.headers)})`);
    for (const key in m.headers) {
      const value = m.headers[key];
      if (typeof value !== 'string')
        fail(`header "${key}" must be a string (got ${describe(value)})`);
      unstorable(`header name ${JSON.stringify(key)}`, key);
      unstorable(`header "${key}"`, value as string);
      headerBytes += key.length + (value as string).length;
    }
  }
  let body: string;
  try {
    body = ctx.serializer.serialize(m.payload);
  } catch (error) {
    if (error instanceof SerializationError) {
      throw new SerializationError(
        error.path,
        `[@mqkit/${ctx.provider}] ${where}: ${error.message}; nothing was published`,
        { index, cause: error },
      );
    }
    throw new SerializationError(
      'payload',
      `[@mqkit/${ctx.provider}] ${where}: serializer "${ctx.serializer.name}" failed: ${error instanceof Error ? error.message : String(error)}; nothing was published`,
      { index, cause: error },
    );
  }
  if (typeof body !== 'string') {
    throw new SerializationError(
      'payload',
      `[@mqkit/${ctx.provider}] ${where}: serializer "${ctx.serializer.name}" returned ${typeof body}, expected a string; nothing was published`,
      { index },
    );
  }
  // Cheap upper bound first: UTF-8 needs at most 3 bytes per UTF-16 unit.
  const fixed = m.type.length + headerBytes + (m.partitionKey?.length ?? 0);
  let size = body.length + fixed;
  if (body.length * 3 + fixed * 3 > ctx.maxMessageBytes) {
    size =
      Buffer.byteLength(body) +
      Buffer.byteLength(m.type) +
      headerBytes +
      (m.partitionKey ? Buffer.byteLength(m.partitionKey) : 0);
    if (size > ctx.maxMessageBytes) {
      throw new MessageTooLargeError(
        size,
        ctx.maxMessageBytes,
        `[@mqkit/${ctx.provider}] ${where} is ${size} bytes serialised, over the limit of ${ctx.maxMessageBytes} bytes; store large data elsewhere and publish a reference, or raise "maxMessageBytes"; nothing was published`,
        { index },
      );
    }
  }
  return {
    id: m.id,
    type: m.type,
    body,
    delayMs: m.runAt !== undefined ? Math.max(0, m.runAt.getTime() - Date.now()) : (m.delayMs ?? 0),
    runAt: m.runAt,
    partitionKey: m.partitionKey,
    headers: m.headers ?? {},
    maxAttempts: m.maxAttempts,
    priority: m.priority ?? 0,
    size,
  };
}

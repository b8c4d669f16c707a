import { errorInfo } from '../error-info.js';
import type { Serializer } from '../serializer.js';
import type { ErrorInfo, Message } from '../types.js';
import type { Envelope } from './backend.js';

/**
 * Builds the delivered {@link Message} of `envelope` for `queue` (the name the application
 * uses), decoding its payload with `serializer`. Throws whatever the serializer throws.
 */
export function decodeEnvelope(envelope: Envelope, queue: string, serializer: Serializer): Message {
  const message: {
    -readonly [K in keyof Message]: Message[K];
  } = {
    id: envelope.id,
    queue,
    type: envelope.type,
    payload: serializer.deserialize(envelope.body),
    attempt: envelope.attempt,
    maxAttempts: envelope.maxAttempts,
    createdAt: envelope.createdAt,
    runAt: envelope.runAt,
    partitionKey: envelope.partitionKey,
    priority: envelope.priority,
    headers: envelope.headers,
  };
  if (envelope.meta !== undefined) message.meta = envelope.meta;
  return message;
}

/** The stored error of a message whose payload `serializer` could not decode. */
export function poisonError(error: unknown, serializer: Serializer): ErrorInfo {
  const cause = errorInfo(error);
  return {
    name: 'SerializationError',
    code: 'MQKIT_SERIALIZATION',
    message: `serializer "${serializer.name}" could not decode the stored payload: ${cause.message}`,
  };
}

/**
 * Like {@link decodeEnvelope} for read paths (dead-letter listings) that must show every entry:
 * a payload the serializer cannot read is returned as its raw stored string, and the message's
 * `meta.rawPayload` is `true`.
 */
export function decodeEnvelopeLenient(
  envelope: Envelope,
  queue: string,
  serializer: Serializer,
): Message {
  try {
    return decodeEnvelope(envelope, queue, serializer);
  } catch {
    // Not `{ ...envelope }`: an envelope may expose its fields as getters (memory's claims do).
    const message = decodeEnvelope(envelope, queue, RAW) as { meta?: Message['meta'] };
    message.meta = { ...envelope.meta, rawPayload: true };
    return message as Message;
  }
}

const RAW: Serializer = { name: 'raw', serialize: (v) => String(v), deserialize: (s) => s };

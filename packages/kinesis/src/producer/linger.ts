import { BackendError } from '@mqkit/core';
import type { PutLimits } from './batches.js';
import type { ResolvedLinger } from './options.js';
import type { PutEntry, PutOutcome } from './put-records.js';

/** Sends one stream's buffered entries (in order) and returns one outcome per entry. */
export type SendSettled = (stream: string, entries: readonly PutEntry[]) => Promise<PutOutcome[]>;

/** A producer buffer shared by the `publish` calls of one queue object. */
export interface LingerBuffer {
  /** Buffers `entries` for `stream`; resolves to their sequence numbers once sent, or rejects with their own error. */
  add(stream: string, entries: readonly PutEntry[]): Promise<string[]>;
  /** Sends everything buffered now and resolves once every send settled (used by `close()`). */
  flush(): Promise<void>;
}

interface Waiter {
  readonly entries: readonly PutEntry[];
  resolve(sequenceNumbers: string[]): void;
  reject(error: Error): void;
}

interface StreamBuffer {
  waiters: Waiter[];
  records: number;
  bytes: number;
  timer: NodeJS.Timeout | undefined;
  /** The send in flight: sends of one stream run one after another, so per-key order holds. */
  sending: Promise<void>;
}

/**
 * Buffers publishes per stream for up to `linger.maxDelayMs`, then sends them together; a buffer
 * holding `linger.maxRecords` records or a full call's bytes is sent at once. Each `add` settles
 * with the outcome of its own entries only. The delay timer is not `unref()`ed: a process with
 * buffered records stays alive until they are sent.
 */
export function createLingerBuffer(
  linger: ResolvedLinger,
  limits: PutLimits,
  send: SendSettled,
): LingerBuffer {
  const buffers = new Map<string, StreamBuffer>();

  function bufferOf(stream: string): StreamBuffer {
    let buffer = buffers.get(stream);
    if (buffer === undefined) {
      buffer = { waiters: [], records: 0, bytes: 0, timer: undefined, sending: Promise.resolve() };
      buffers.set(stream, buffer);
    }
    return buffer;
  }

  function sendNow(stream: string, buffer: StreamBuffer): Promise<void> {
    if (buffer.timer !== undefined) clearTimeout(buffer.timer);
    buffer.timer = undefined;
    const waiters = buffer.waiters;
    buffer.waiters = [];
    buffer.records = 0;
    buffer.bytes = 0;
    if (waiters.length === 0) return buffer.sending;
    buffer.sending = buffer.sending.then(() => settle(stream, waiters));
    return buffer.sending;
  }

  async function settle(stream: string, waiters: readonly Waiter[]): Promise<void> {
    const entries = waiters.flatMap((w) => w.entries);
    let outcomes: PutOutcome[];
    try {
      outcomes = await send(stream, entries);
    } catch (error) {
      const failure =
        error instanceof Error ? error : new BackendError(`[@mqkit/kinesis] ${String(error)}`);
      for (const w of waiters) w.reject(failure);
      return;
    }
    if (outcomes.length !== entries.length) {
      const mismatch = new BackendError(
        `[@mqkit/kinesis] PutRecords returned ${outcomes.length} outcomes for ${entries.length} records; publish again`,
      );
      for (const w of waiters) w.reject(mismatch);
      return;
    }
    let offset = 0;
    for (const w of waiters) {
      const own = outcomes.slice(offset, offset + w.entries.length);
      offset += w.entries.length;
      const failed = own.find((o): o is Error => typeof o !== 'string');
      if (failed !== undefined) w.reject(failed);
      else w.resolve(own as string[]);
    }
  }

  return {
    add(stream, entries) {
      const buffer = bufferOf(stream);
      const result = new Promise<string[]>((resolve, reject) => {
        buffer.waiters.push({ entries, resolve, reject });
      });
      buffer.records += entries.length;
      for (const e of entries) buffer.bytes += e.size;
      if (buffer.records >= linger.maxRecords || buffer.bytes >= limits.maxBytes)
        void sendNow(stream, buffer);
      else buffer.timer ??= setTimeout(() => void sendNow(stream, buffer), linger.maxDelayMs);
      return result;
    },
    async flush() {
      await Promise.all([...buffers].map(([stream, buffer]) => sendNow(stream, buffer)));
    },
  };
}

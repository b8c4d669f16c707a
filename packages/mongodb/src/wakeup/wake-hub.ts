import type { Logger } from '@mqkit/core';
import { createWakeups, errorInfo } from '@mqkit/core/provider';
import type { ChangeStream, Collection, Db } from 'mongodb';
import type { MessageDocument } from '../schema/document.js';

/** How idle consumers learn about new messages. */
export type WakeUpMode = 'changeStream' | 'polling';

/**
 * Wakes idle consumers of one queue instance: at once for messages published or replayed through
 * this instance, and through a change stream on inserts from anywhere when the server supports
 * change streams (replica set or sharded cluster). Otherwise consumers poll with the core loop's
 * adaptive back-off; polling also stays on as the safety net under a change stream.
 */
export interface WakeHub {
  /** Resolves on a wake-up for `queue`, after `timeoutMs`, or when `signal` aborts. */
  wait(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Wakes the waiters of `queue` (qualified name). */
  notify(queue: string): void;
  /** A consumer started: detect the topology and open the change stream if it applies. */
  retain(): void;
  /** A consumer stopped: close the change stream after the last one. */
  release(): void;
  /** Runs the topology detection once and resolves to the mode in use. */
  detect(): Promise<WakeUpMode>;
  /** Closes the change stream and stops reopening it. */
  close(): Promise<void>;
}

const REOPEN_DELAY_MS = 5_000;

/** True when the server behind `db` supports change streams (replica set member or mongos). */
export async function supportsChangeStreams(db: Db): Promise<boolean> {
  let reply: Record<string, unknown>;
  try {
    reply = await db.command({ hello: 1 });
  } catch {
    // Servers before 4.4.2 only know the legacy name.
    reply = await db.command({ isMaster: 1 });
  }
  return typeof reply.setName === 'string' || reply.msg === 'isdbgrid';
}

/** Creates the {@link WakeHub} of one queue instance. */
export function createWakeHub(params: {
  db: () => Db;
  collection: () => Collection<MessageDocument>;
  changeStreams: 'auto' | false;
  logger: Logger;
}): WakeHub {
  const { logger } = params;
  // Remembers a wake-up that arrives while no consumer of the queue waits (it was claiming).
  const wakeups = createWakeups();
  let users = 0;
  let closed = false;
  let detection: Promise<WakeUpMode> | undefined;
  let stream: ChangeStream<MessageDocument> | undefined;
  let reopenTimer: NodeJS.Timeout | undefined;

  function notify(queue: string): void {
    wakeups.wake(queue);
  }

  function detect(): Promise<WakeUpMode> {
    if (detection !== undefined) return detection;
    if (params.changeStreams === false) {
      detection = Promise.resolve('polling');
      return detection;
    }
    detection = supportsChangeStreams(params.db()).then(
      (supported): WakeUpMode => {
        logger.debug(
          { collection: params.collection().collectionName, changeStreams: supported },
          supported
            ? 'server supports change streams: idle consumers wake on insert'
            : 'standalone server (no change streams): idle consumers poll with adaptive back-off',
        );
        return supported ? 'changeStream' : 'polling';
      },
      (error: unknown): WakeUpMode => {
        logger.warn(
          { err: errorInfo(error) },
          'could not detect the server topology; idle consumers poll',
        );
        detection = undefined; // try again with the next consumer
        return 'polling';
      },
    );
    return detection;
  }

  function open(): void {
    if (closed || users === 0 || stream !== undefined) return;
    const pipeline = [
      {
        $match: {
          $or: [
            { operationType: 'insert' },
            // A dead letter replayed by another process sets `queue` again.
            { operationType: 'update', 'updateDescription.updatedFields.queue': { $exists: true } },
          ],
        },
      },
      {
        $project: {
          operationType: 1,
          'fullDocument.queue': 1,
          'updateDescription.updatedFields.queue': 1,
        },
      },
    ];
    const current = params.collection().watch<MessageDocument>(pipeline);
    stream = current;
    current.on('change', (event) => {
      const e = event as {
        fullDocument?: { queue?: unknown };
        updateDescription?: { updatedFields?: { queue?: unknown } };
      };
      const queue = e.fullDocument?.queue ?? e.updateDescription?.updatedFields?.queue;
      if (typeof queue === 'string') notify(queue);
    });
    current.on('error', (error: unknown) => {
      if (stream === current) stream = undefined;
      void current.close().catch(() => undefined);
      if (closed) return;
      logger.warn(
        { err: errorInfo(error), retryInMs: REOPEN_DELAY_MS },
        'change stream failed; idle consumers poll until it reopens',
      );
      clearTimeout(reopenTimer);
      reopenTimer = setTimeout(open, REOPEN_DELAY_MS);
      reopenTimer.unref();
    });
  }

  async function closeStream(): Promise<void> {
    clearTimeout(reopenTimer);
    const current = stream;
    stream = undefined;
    await current?.close().catch(() => undefined);
  }

  return {
    wait: wakeups.wait,
    notify,
    retain() {
      users++;
      void detect().then((mode) => {
        if (mode === 'changeStream') open();
      });
    },
    release() {
      users = Math.max(0, users - 1);
      if (users === 0) void closeStream();
    },
    detect,
    async close() {
      closed = true;
      await closeStream();
      wakeups.wakeAll();
    },
  };
}

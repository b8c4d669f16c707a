import type { Logger } from '@mqkit/core';
import { errorInfo } from '@mqkit/core';

interface QueueWaiters {
  /** A wake-up arrived while nobody waited: the next wait returns at once. */
  pending: boolean;
  readonly waiters: Set<() => void>;
}

/**
 * Wake-ups per queue for idle consumers: local publishes, and PostgreSQL NOTIFY when a listener
 * is attached. A wake-up that arrives while no consumer waits is remembered, so a consumer that
 * was busy claiming does not sleep through it.
 */
export interface WakeHub {
  /** Resolves on a wake-up for `queue`, after `timeoutMs`, or when `signal` aborts. */
  wait(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Wakes the consumers of `queue` in this process. */
  wake(queue: string): void;
  /** Wakes every queue (after a listener reconnect: notifications may have been missed). */
  wakeAll(): void;
}

/** Creates an empty {@link WakeHub}. */
export function createWakeHub(): WakeHub {
  const queues = new Map<string, QueueWaiters>();
  const stateOf = (queue: string): QueueWaiters => {
    let state = queues.get(queue);
    if (state === undefined) {
      state = { pending: false, waiters: new Set() };
      queues.set(queue, state);
    }
    return state;
  };
  const wakeState = (state: QueueWaiters): void => {
    if (state.waiters.size === 0) {
      state.pending = true;
      return;
    }
    for (const waiter of [...state.waiters]) waiter();
  };
  return {
    wait(queue, timeoutMs, signal) {
      const state = stateOf(queue);
      if (state.pending || signal.aborted) {
        state.pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          state.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done, { once: true });
        state.waiters.add(done);
      });
    },
    wake(queue) {
      const state = queues.get(queue);
      if (state !== undefined) wakeState(state);
    },
    wakeAll() {
      for (const state of queues.values()) wakeState(state);
    },
  };
}

/** Options of {@link startPgListener}. */
export interface PgListenerOptions {
  readonly connectionString: string;
  readonly channel: string;
  readonly hub: WakeHub;
  readonly logger: Logger;
}

/** A running LISTEN connection. */
export interface PgListener {
  /** Ends the connection; no reconnect after this. */
  close(): Promise<void>;
}

interface PgClientLike {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', fn: (error?: unknown) => void): unknown;
  removeAllListeners(): unknown;
}

/**
 * LISTENs on `channel` through its own `pg` connection (Prisma cannot LISTEN) and wakes the
 * queue named by each notification's payload. Reconnects with back-off after a failure; polling
 * covers the gap. `pg` is loaded lazily, so it stays an optional peer dependency.
 */
export function startPgListener(options: PgListenerOptions): PgListener {
  const { connectionString, channel, hub, logger } = options;
  let closed = false;
  let client: PgClientLike | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const scheduleReconnect = (): void => {
    if (closed || retryTimer !== undefined) return;
    failures++;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref();
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    let pg: {
      Client: new (config: { connectionString: string; application_name: string }) => PgClientLike;
    };
    try {
      const mod = (await import('pg')) as unknown as {
        default?: typeof pg;
        Client?: typeof pg.Client;
      };
      pg = mod.default ?? (mod as typeof pg);
    } catch (error) {
      logger.warn(
        { err: errorInfo(error) },
        '[@mqkit/prisma] option "listen" needs the "pg" package; falling back to polling',
      );
      return;
    }
    // The application_name makes mqkit's connection recognisable in pg_stat_activity.
    const c = new pg.Client({ connectionString, application_name: 'mqkit-listen' });
    client = c;
    const lost = (error: unknown): void => {
      if (client !== c) return;
      client = undefined;
      logger.warn({ channel, err: errorInfo(error) }, 'LISTEN connection lost; reconnecting');
      c.removeAllListeners();
      c.on('error', () => undefined);
      c.end().catch(() => undefined);
      scheduleReconnect();
    };
    c.on('error', lost);
    // A server that closes the connection cleanly (e.g. a restart) may end it without an error.
    c.on('end', () => lost(new Error('LISTEN connection ended by the server')));
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) hub.wake(msg.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
      if (closed) {
        await c.end();
        return;
      }
      if (failures > 0) hub.wakeAll();
      failures = 0;
      // The socket must not keep the process alive on its own.
      (
        c as unknown as { connection?: { stream?: { unref?: () => void } } }
      ).connection?.stream?.unref?.();
    } catch (error) {
      lost(error);
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      if (c !== undefined) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}

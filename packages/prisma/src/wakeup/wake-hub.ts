import type { Logger } from '@mqkit/core';
import { errorInfo, type Wakeups } from '@mqkit/core/provider';

export { createWakeups, type Wakeups } from '@mqkit/core/provider';

/** Options of {@link startPgListener}. */
export interface PgListenerOptions {
  readonly connectionString: string;
  readonly channel: string;
  readonly hub: Wakeups;
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

import { pino } from 'pino';
import { redactSecrets } from './redact.js';

/** One log method, pino-style: `(object, message)` or `(message)`. */
export type LogFn = (objOrMsg: unknown, msg?: string, ...args: unknown[]) => void;

/** Any pino-compatible logger (pino itself, or anything with these methods). */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * The default logger: pino at `warn`, or at `MQKIT_LOG_LEVEL` when set. Credential-looking
 * fields (`password`, `url`, `connectionString`, …) are redacted.
 */
export function createDefaultLogger(name = 'mqkit'): Logger {
  const fromEnv = process.env.MQKIT_LOG_LEVEL?.toLowerCase();
  const level = fromEnv !== undefined && LEVELS.has(fromEnv) ? fromEnv : 'warn';
  return pino({
    name,
    level,
    redact: {
      paths: ['password', '*.password', 'url', '*.url', 'connectionString', '*.connectionString'],
      censor: (value: unknown, path: string[]) =>
        path[path.length - 1] !== 'password' && typeof value === 'string'
          ? redactSecrets(value)
          : '[redacted]',
    },
  });
}

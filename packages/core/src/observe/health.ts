import { errorInfo } from '../error-info.js';
import { Checker } from '../options.js';
import type { BackendHealth, ConsumerHealth, HealthOptions, HealthReport } from './types.js';

/** Default of {@link HealthOptions.timeoutMs}. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

/** Validates `health()` options before any I/O; returns the timeout in milliseconds. */
export function resolveHealthOptions(options: HealthOptions | undefined, provider: string): number {
  const check = new Checker(provider);
  const value = check.optionalObject(options, 'health', ['timeoutMs']);
  return check.int(value.timeoutMs, 'health.timeoutMs', 1, 600_000, DEFAULT_HEALTH_TIMEOUT_MS);
}

/**
 * Runs one backend round trip (`ping`) under `timeoutMs` and reports it; never rejects. The
 * timer is unref'ed and cleared, so a hung backend never keeps the process alive.
 */
export async function measureBackend(
  ping: () => Promise<unknown>,
  timeoutMs: number,
): Promise<BackendHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const result = await Promise.race([
      Promise.resolve()
        .then(ping)
        .then(() => 'ok' as const),
      timeout,
    ]);
    const latencyMs = Math.round(performance.now() - started);
    if (result === 'ok') return { ok: true, latencyMs };
    return {
      ok: false,
      latencyMs,
      error: { name: 'TimeoutError', message: `backend did not answer within ${timeoutMs} ms` },
    };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: errorInfo(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Combines a backend measurement and the consumers' states into a {@link HealthReport}. */
export function healthReport(
  provider: string,
  backend: BackendHealth,
  consumers: readonly ConsumerHealth[],
  checkedAt: Date = new Date(),
): HealthReport {
  const live = consumers.every((c) => !c.running || c.live);
  return {
    ok: backend.ok && live,
    ready: backend.ok,
    live,
    provider,
    checkedAt,
    backend,
    consumers,
  };
}

/**
 * Everything a provider needs for `health()`: validates the options, pings under the timeout,
 * and adds the consumers' states. Never rejects for a down backend.
 */
export async function checkHealth(params: {
  readonly provider: string;
  readonly options: HealthOptions | undefined;
  readonly ping: () => Promise<unknown>;
  readonly consumers: () => readonly ConsumerHealth[];
}): Promise<HealthReport> {
  const timeoutMs = resolveHealthOptions(params.options, params.provider);
  const backend = await measureBackend(params.ping, timeoutMs);
  return healthReport(params.provider, backend, params.consumers());
}

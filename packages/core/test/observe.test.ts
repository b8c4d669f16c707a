import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../src/index.js';
import {
  circuitState,
  healthReport,
  isLive,
  measureBackend,
  resolveHealthOptions,
  toQueueStats,
} from '../src/provider.js';

describe('toQueueStats', () => {
  const raw = { ready: 2, delayed: 1, inFlight: 0, deadLettered: 3 };
  it('the oldest age is now minus the due time of the oldest ready message', () => {
    const s = toQueueStats('q', { ...raw, oldestReadyAt: 1_000 }, 4_500);
    expect(s).toEqual({ queue: 'q', at: new Date(4_500), ...raw, oldestReadyAgeMs: 3_500 });
  });
  it('is 0 with nothing ready and never negative (clock skew)', () => {
    expect(toQueueStats('q', { ...raw, oldestReadyAt: undefined }, 10).oldestReadyAgeMs).toBe(0);
    expect(toQueueStats('q', { ...raw, oldestReadyAt: 20 }, 10).oldestReadyAgeMs).toBe(0);
  });
  it('keeps null (unmeasurable) apart from 0', () => {
    const s = toQueueStats('q', { ...raw, ready: null, oldestReadyAt: null }, 10);
    expect(s.ready).toBeNull();
    expect(s.oldestReadyAgeMs).toBeNull();
  });
});

describe('consumer probe logic', () => {
  it('the circuit opens at failureThreshold failures in a row, as the loop does', () => {
    expect(circuitState(0, 3)).toBe('closed');
    expect(circuitState(2, 3)).toBe('closed');
    expect(circuitState(3, 3)).toBe('open');
  });
  it('a loop is stuck only while one claim has waited longer than the limit', () => {
    expect(isLive(undefined, 10_000, 100)).toBe(true);
    expect(isLive(9_950, 10_000, 100)).toBe(true);
    expect(isLive(9_000, 10_000, 100)).toBe(false);
  });
});

describe('health', () => {
  it('measureBackend reports a rejecting ping with the error, redacted', async () => {
    const h = await measureBackend(
      () => Promise.reject(new Error('connect postgres://app:hunter2@db/x refused')),
      1_000,
    );
    expect(h.ok).toBe(false);
    expect(h.error?.message).toContain('refused');
    expect(h.error?.message).not.toContain('hunter2');
  });
  it('measureBackend gives up on a hanging ping at the timeout and does not keep the process alive', async () => {
    const started = Date.now();
    const h = await measureBackend(() => new Promise(() => {}), 50);
    expect(h.ok).toBe(false);
    expect(h.error?.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.latencyMs).toBeGreaterThanOrEqual(45);
  });
  it('ok needs a ready backend and live running consumers; a stopped consumer does not count', () => {
    const backend = { ok: true, latencyMs: 1 };
    const consumer = {
      id: 'c',
      queue: 'q',
      running: true,
      lastClaimAt: undefined,
      circuit: 'closed' as const,
      live: false,
    };
    expect(healthReport('p', backend, [consumer]).ok).toBe(false);
    expect(healthReport('p', backend, [{ ...consumer, running: false }]).ok).toBe(true);
    const down = healthReport('p', { ok: false, latencyMs: 5 }, []);
    expect([down.ok, down.ready, down.live]).toEqual([false, false, true]);
  });
  it('rejects a bad timeout with ConfigurationError naming the field', () => {
    expect(resolveHealthOptions(undefined, 'p')).toBe(5_000);
    expect(() => resolveHealthOptions({ timeoutMs: 0 }, 'p')).toThrow(ConfigurationError);
    expect(() => resolveHealthOptions({ timeoutMs: 0 }, 'p')).toThrow(/health.timeoutMs/);
  });
});

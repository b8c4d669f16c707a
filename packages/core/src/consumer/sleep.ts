/** Options of {@link sleep}. */
export interface SleepOptions {
  /**
   * Let the process exit while the timer runs (`timer.unref()`): for waits that only pace a loop a
   * `close()` or `stop()` ends anyway. Default `false`: the timer keeps the process alive, as a
   * retry or a buffered send that must still happen needs.
   */
  readonly unref?: boolean;
}

/**
 * Resolves after `ms` to `true`, or at once to `false` when `signal` aborts (also when it already
 * had); never rejects. The timer is cleared on abort. `ms <= 0` resolves at once (to `true` unless
 * aborted).
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  options: SleepOptions = {},
): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A settled promise: `.then` on it queues a microtask without Node's per-call AsyncResource. */
export const settled = Promise.resolve();

/**
 * `Date.now()`, read at most once per burst: the value is reused until the microtasks queued
 * before the read have run. A consume loop at concurrency 50 settles about 50 handler calls per
 * burst, and one clock read costs 50–150 ns on some VMs — more than the rest of a lifecycle event.
 * A reading is never older than the mqkit bookkeeping and already-queued microtasks between it and
 * its use: a handler's own work after its last `await` runs before its settlement is queued, so
 * it still shows in that call's duration.
 */
export function burstClock(read: () => number = () => Date.now()): () => number {
  let cached = 0;
  let fresh = false;
  const expire = (): void => {
    fresh = false;
  };
  return () => {
    if (!fresh) {
      cached = read();
      fresh = true;
      void settled.then(expire);
    }
    return cached;
  };
}

/**
 * Returns a function that queues `run` to run once after the microtasks already queued (the
 * current burst); calls made before it ran queue nothing more.
 */
export function afterBurst(run: () => void): () => void {
  let queued = false;
  const fire = (): void => {
    queued = false;
    run();
  };
  return () => {
    if (queued) return;
    queued = true;
    void settled.then(fire);
  };
}

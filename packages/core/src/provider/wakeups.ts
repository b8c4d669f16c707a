/**
 * Wake-ups for idle consumers of one queue. A wake-up that arrives while nobody waits is
 * remembered, so a consumer that was busy claiming does not sleep through it: its next `wait`
 * returns at once.
 */
export class WakeSignal {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  /**
   * Resolves on a wake-up, after `timeoutMs`, or when `signal` aborts (never rejects); at once
   * when a wake-up is remembered (consuming it). The timer is cleared when it resolves.
   */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted || timeoutMs <= 0) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Wakes every waiter, or remembers the wake-up for the next `wait` when nobody waits. */
  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    for (const waiter of [...this.waiters]) waiter();
  }

  /** True while a consumer waits. */
  get waiting(): boolean {
    return this.waiters.size > 0;
  }
}

/** {@link WakeSignal}s by queue (stored name): what a provider's publish and listeners wake. */
export interface Wakeups {
  /** Resolves on a wake-up for `queue`, after `timeoutMs`, or when `signal` aborts. */
  wait(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Wakes the consumers of `queue` in this process (remembered when none waits). */
  wake(queue: string): void;
  /** Wakes every queue seen so far (after a listener reconnect: notifications may have been missed). */
  wakeAll(): void;
}

/** Creates an empty {@link Wakeups}. */
export function createWakeups(): Wakeups {
  const queues = new Map<string, WakeSignal>();
  const of = (queue: string): WakeSignal => {
    let s = queues.get(queue);
    if (s === undefined) {
      s = new WakeSignal();
      queues.set(queue, s);
    }
    return s;
  };
  return {
    wait: (queue, timeoutMs, signal) => of(queue).wait(timeoutMs, signal),
    wake: (queue) => of(queue).wake(),
    wakeAll() {
      for (const s of queues.values()) s.wake();
    },
  };
}
